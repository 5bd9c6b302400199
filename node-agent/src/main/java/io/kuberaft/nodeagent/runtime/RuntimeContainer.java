package io.kuberaft.nodeagent.runtime;

import java.time.Instant;
import java.util.Optional;

/**
 * One run of one container, as the runtime reports it. A restart is a new {@code RuntimeContainer}.
 */
public interface RuntimeContainer {
    /** {@code <runtime>://<id>}, the containerID of the container status. */
    String containerId();

    String name();

    String image();

    Instant startedAt();

    /** Present once the container has exited. */
    Optional<Exit> exit();

    /** How a container ended: exit code, upstream reason (Completed, Error, OOMKilled), when. */
    record Exit(int exitCode, String reason, String message, Instant finishedAt) {
        public static Exit of(int exitCode, Instant at) {
            return new Exit(exitCode, exitCode == 0 ? "Completed" : "Error", null, at);
        }
    }
}
