package io.kuberaft.nodeagent;

import io.fabric8.kubernetes.api.model.LifecycleHandler;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.kuberaft.nodeagent.runtime.ContainerRuntime;

import java.time.Duration;
import java.util.Optional;

/**
 * A container's postStart and preStop handlers, run as the kubelet's handler runner: exec in the container, httpGet
 * to the pod (through the {@link Prober}, which knows where the pod's ports are) or sleep; tcpSocket is accepted
 * and does nothing, as upstream (deprecated). Failures are phrased as the kubelet's FailedPostStartHook /
 * FailedPreStopHook events. The simulated runtime answers hooks itself: they succeed unless the pod's
 * {@code probe-fail} annotation names {@code poststart} or {@code prestop}.
 */
final class LifecycleHooks {
    private final ContainerRuntime runtime;
    private final Prober prober;

    LifecycleHooks(ContainerRuntime runtime, Prober prober) {
        this.runtime = runtime;
        this.prober = prober;
    }

    /**
     * Runs {@code h} (kind {@code PostStart} or {@code PreStop}) within {@code timeout}; empty on success, else the
     * event message. Blocks: call it off the sync loop.
     */
    Optional<String> run(String kind, LifecycleHandler h, Prober.Target t, Pod pod, Duration timeout) {
        if (h == null) {
            return Optional.empty();
        }
        Optional<Boolean> simulated = runtime.simulatedProbe(t.container(), kind.toLowerCase());
        String what = h.getExec() != null ? "Exec lifecycle hook ([" + String.join(" ", h.getExec().getCommand()) + "])"
                : h.getHttpGet() != null ? "HTTP lifecycle hook (" + (h.getHttpGet().getPath() == null ? "" : h.getHttpGet().getPath()) + ")"
                : "Sleep lifecycle hook";
        String error;
        String output = null; // exec hooks: what the command printed, quoted after the error as the kubelet does
        if (simulated.isPresent()) {
            if (simulated.get()) {
                return Optional.empty();
            }
            error = "simulated " + kind.toLowerCase() + " hook failure";
        } else if (h.getSleep() != null && h.getSleep().getSeconds() != null) {
            try {
                Thread.sleep(Math.min(timeout.toMillis(), Math.max(0, h.getSleep().getSeconds()) * 1000L));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return Optional.empty();
        } else if (h.getExec() != null) {
            var r = runtime.exec(t.container(), h.getExec().getCommand(), timeout);
            if (r.exitCode() == 0) {
                return Optional.empty();
            }
            error = "command '" + String.join(" ", h.getExec().getCommand()) + "' exited with " + r.exitCode() + ": ";
            output = r.output();
        } else if (h.getHttpGet() != null) {
            var probe = new ProbeBuilder().withHttpGet(h.getHttpGet()).withTimeoutSeconds((int) Math.max(1, timeout.toSeconds())).build();
            Prober.Result r = prober.probe(probe, kind, t);
            if (r.success()) {
                return Optional.empty();
            }
            error = r.message();
        } else {
            return Optional.empty();
        }
        return Optional.of(what + " for Container \"" + t.spec().getName() + "\" in Pod \"" + pod.getMetadata().getName() + "_"
                + pod.getMetadata().getNamespace() + "(" + pod.getMetadata().getUid() + ")\" failed - error: " + error
                + (h.getExec() != null ? ", message: " + io.kuberaft.kubeapi.GoQuote.of(output == null ? "" : output) : ""));
    }
}
