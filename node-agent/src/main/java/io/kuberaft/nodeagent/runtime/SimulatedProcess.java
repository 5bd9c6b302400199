package io.kuberaft.nodeagent.runtime;

/**
 * A process the simulated runtime plays in the agent's JVM, not on the host: it has no pid (the exec stream names its
 * threads by it) and no descendants to kill when the client goes.
 */
abstract class SimulatedProcess extends Process {
    @Override
    public long pid() {
        return 0;
    }

    @Override
    public java.util.stream.Stream<ProcessHandle> descendants() {
        return java.util.stream.Stream.empty();
    }
}
