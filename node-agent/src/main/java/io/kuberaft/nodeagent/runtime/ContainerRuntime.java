package io.kuberaft.nodeagent.runtime;

import io.fabric8.kubernetes.api.model.Container;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * What the agent needs from a container runtime, in the shape of the CRI's container calls: start one
 * container of a pod, observe it, stop it, read its log, run a command in it. Restart policy, back-off,
 * init-container ordering and probes are the agent's (as in the kubelet), so a real runtime (Docker API,
 * CRI) can implement this next without repeating them.
 */
public interface ContainerRuntime extends AutoCloseable {
    /** As the node reports it in nodeInfo.containerRuntimeVersion, e.g. {@code simulated://0.1.0}. */
    String version();

    /**
     * The runtime handlers (CRI runtime configurations) pods can name through a RuntimeClass's {@code handler}: as
     * containerd's default configuration, {@code runc} only. A pod without a RuntimeClass uses the default handler.
     */
    default java.util.Set<String> handlers() {
        return java.util.Set.of("runc");
    }

    /**
     * Starts {@code container} of {@code pod}; {@code attempt} is its restart count (0 for the first run).
     *
     * @throws CannotStartException with the waiting reason and message the container status shows
     */
    RuntimeContainer start(PodContext pod, Container container, int attempt) throws CannotStartException;

    /** Asks the container to stop (SIGTERM), killing it once {@code grace} has passed (SIGKILL). Returns at once. */
    void stop(RuntimeContainer container, Duration grace);

    /**
     * The container's log (stdout and stderr) in the {@link CriLog} format, from byte {@code from} on (or from the
     * oldest byte still kept, when the runtime rotated older ones away: {@link LogChunk#from()} says where the bytes
     * start); empty when the runtime has none for it (any more). The log only grows while the container runs.
     */
    Optional<LogChunk> log(RuntimeContainer container, long from);

    /** Log bytes and the offset of their first byte. */
    record LogChunk(long from, byte[] bytes) {
        /** The offset after the complete lines of this chunk. */
        public long next(int consumed) {
            return from + consumed;
        }
    }

    /**
     * Where {@code kubectl logs} starts reading: the beginning of the current log file. Offsets of {@link #log} are
     * counted from the run's first byte, so a runtime that rotates logs starts later than 0 once it has rotated.
     */
    default long logStart(RuntimeContainer container) {
        return 0;
    }

    /**
     * Starts {@code command} in the running {@code container} for {@code kubectl exec}, its stdin, stdout and
     * stderr connected to the returned process; with a {@code tty} size (null: none), one pseudo-terminal of that size.
     *
     * @throws CannotStartException with the message the exec fails with (a runtime that cannot exec says why)
     */
    default Process startExec(RuntimeContainer container, List<String> command, TerminalSize tty) throws CannotStartException {
        throw new CannotStartException("ExecNotSupported", "the " + version() + " runtime cannot run commands in its containers");
    }

    /** Sets the terminal size of a container started with {@code tty: true} ({@code kubectl attach -t}); else nothing. */
    default void resize(RuntimeContainer container, TerminalSize size) {
    }

    /**
     * The stdin of a container whose spec asks for one ({@code stdin: true}), for {@code kubectl attach -i}; empty when
     * it has none (its stdin is {@code /dev/null}) or the runtime cannot feed it.
     */
    default Optional<OutputStream> stdin(RuntimeContainer container) {
        return Optional.empty();
    }

    /**
     * Where this node reaches {@code port} in the network namespace of pod {@code podUid}: for {@code kubectl
     * port-forward}, the pod/service proxy and http/tcp probes (pod IPs are not routed on these machines).
     *
     * @throws CannotStartException with the message the client is shown when the runtime cannot reach the pod's ports
     */
    default InetSocketAddress podPortAddress(String podUid, int port) throws CannotStartException {
        throw new CannotStartException("PortForwardNotSupported", "the " + version() + " runtime cannot reach ports of its pods");
    }

    /**
     * What the running {@code container} of {@code pod} (the pod as it is now, so a simulated runtime can read
     * changed annotations) has used: the resource metrics behind {@code /stats/summary}, {@code kubectl top} and the
     * HorizontalPodAutoscaler. Empty when the runtime cannot tell or the container has exited.
     */
    default Optional<ContainerUsage> usage(RuntimeContainer container, io.fabric8.kubernetes.api.model.Pod pod) {
        return Optional.empty();
    }

    /** Runs {@code command} in the container (exec probes, kubectl exec). */
    ExecResult exec(RuntimeContainer container, List<String> command, Duration timeout);

    /**
     * A run that ended before this agent started (its pod finished, then the agent restarted), rebuilt from the
     * terminated state the pod's status recorded, so that {@code kubectl logs} still has it; empty when the runtime
     * cannot (its logs went with the old agent).
     */
    default Optional<RuntimeContainer> restore(PodContext pod, Container container, int exitCode, java.time.Instant startedAt,
                                               java.time.Instant finishedAt) {
        return Optional.empty();
    }

    /**
     * A runtime that simulates its containers answers their probes itself (present); a real one lets the
     * agent run the probe (empty).
     */
    default Optional<Boolean> simulatedProbe(RuntimeContainer container, String probeKind) {
        return Optional.empty();
    }

    /**
     * Brings the configMap, secret, downwardAPI and projected volumes the running {@code container} mounts up to date with
     * {@code pod}'s current ConfigMaps, Secrets and metadata, as the kubelet's periodic sync does. A volume whose source is
     * gone or broken keeps its content; subPath mounts keep what they started with (as upstream).
     */
    default void refreshVolumes(PodContext pod, RuntimeContainer container, Container spec) {
    }

    /**
     * What the exited {@code container} wrote to its {@code terminationMessagePath} ({@code /dev/termination-log} by
     * default); empty when nothing (or the runtime cannot tell).
     */
    default Optional<byte[]> terminationMessage(RuntimeContainer container, String path) {
        return Optional.empty();
    }

    /** Frees what the runtime holds for a pod (its directory, its logs) once the pod is gone. */
    void removePod(String podUid);

    @Override
    default void close() {
    }

    /** The outcome of an exec: exit code and combined output. */
    record ExecResult(int exitCode, String output) {
    }
}
