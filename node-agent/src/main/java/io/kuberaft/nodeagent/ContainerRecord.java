package io.kuberaft.nodeagent;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Container;
import io.kuberaft.nodeagent.runtime.RuntimeContainer;

import java.time.Instant;

/** What the agent knows of one container of a pod across its runs: the kubelet's per-container bookkeeping. */
final class ContainerRecord {
    /** Replaced when the pod's update changed the container (its image: the only mutable field), at the restart. */
    volatile Container spec;
    /** The changed definition the running container is being stopped for ("definition changed, will be restarted"). */
    volatile Container respec;
    volatile boolean respecStopping;
    final boolean init;
    /** Read by the agent API's threads (logs, exec) as well as the sync loop. */
    volatile RuntimeContainer current;
    /** The run before {@code current} (kubectl logs --previous). */
    volatile RuntimeContainer previous;
    int restartCount;
    /** The terminated state of the previous run (status.lastState). */
    ObjectNode lastTerminated;
    /** The terminated state of the current run when it will not be restarted (status.state). */
    ObjectNode terminated;
    volatile String waitingReason = "ContainerCreating";
    String waitingMessage;
    /** No restart before this (CrashLoopBackOff); null when not backing off. */
    Instant backoffUntil;
    long backoffMs;
    /** The next wait after volumes that could not be mounted: 500 ms doubling, as the kubelet's volume operations. */
    long mountRetryMs;
    boolean succeeded;
    /** A sidecar that has started once (its startupProbe passed, its postStart hook done): the pod initialised past it. */
    boolean sidecarStarted;
    boolean stopping;
    /** The postStart hook of the current run is still running (the container shows ContainerCreating meanwhile). */
    volatile boolean postStartRunning;
    /** The event message of a failed postStart hook, for the sync loop to report and act on. */
    volatile String postStartFailure;
    final ProbeState startup = new ProbeState("Startup");
    final ProbeState liveness = new ProbeState("Liveness");
    final ProbeState readiness = new ProbeState("Readiness");

    /** Added by {@code kubectl debug} (pods/ephemeralcontainers): run once, never restarted, never part of readiness. */
    final boolean ephemeral;

    ContainerRecord(Container spec, boolean init) {
        this(spec, init, false);
    }

    ContainerRecord(Container spec, boolean init, boolean ephemeral) {
        this.spec = spec;
        this.init = init;
        this.ephemeral = ephemeral;
    }

    /** One of the pod's regular containers (spec.containers). */
    boolean app() {
        return !init && !ephemeral;
    }

    /**
     * A sidecar: an init container with {@code restartPolicy: Always}. It starts in its place among the init containers,
     * lets the next one start once it has started, and then runs (and is restarted) as long as the regular containers.
     */
    boolean sidecar() {
        return init && "Always".equals(spec.getRestartPolicy());
    }

    boolean running() {
        return current != null && current.exit().isEmpty();
    }

    void resetProbes() {
        startup.reset();
        liveness.reset();
        readiness.reset();
    }

    /** Consecutive probe results of one kind, and when the next probe is due. */
    static final class ProbeState {
        final String kind;
        int successes;
        int failures;
        /** Result after the thresholds: null until decided. */
        Boolean healthy;
        Instant nextAt;
        boolean inFlight;
        String lastMessage;
        /** A finished probe, handed over by the probe thread to the sync loop. */
        volatile Prober.Result pending;

        ProbeState(String kind) {
            this.kind = kind;
        }

        void reset() {
            successes = 0;
            failures = 0;
            healthy = null;
            nextAt = null;
            lastMessage = null;
        }
    }
}
