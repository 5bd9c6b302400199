package io.kuberaft.nodeagent;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Probe;
import io.kuberaft.nodeagent.runtime.CannotStartException;
import io.kuberaft.nodeagent.runtime.ContainerRuntime;
import io.kuberaft.nodeagent.runtime.PodContext;
import io.kuberaft.nodeagent.runtime.PodVolumes;
import io.kuberaft.nodeagent.runtime.RuntimeContainer;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.function.Function;

/**
 * One pod on this node: runs its containers through the runtime (init containers one after another, sidecars
 * among them kept running, then the app containers), applies the restart policy with the kubelet's back-off (10 s doubling to 5 min),
 * runs probes, stops everything on deletion, and derives the pod status from what it observed. Not thread
 * safe: its node's sync loop is the only caller; probes run elsewhere and hand their results back.
 */
final class PodWorker {
    static final ObjectMapper JSON = new ObjectMapper();
    private final ContainerRuntime runtime;
    private final Prober prober;
    private final Executor probeExecutor;
    private final EventRecorder events;
    private final Clock clock;
    private final AgentConfig config;
    private final String nodeName;
    private final String hostIP;
    private final String podIP;
    private final Function<Pod, PodContext.Resolved> resolver;
    private final Function<Pod, PodContext.Resolved> dataResolver;
    /** Why the pod's sandbox cannot be created (its RuntimeClass), or null: the kubelet's LookupRuntimeHandler. */
    private final Function<Pod, String> sandboxFailure;
    private Instant sandboxRetryAt;
    private long sandboxBackoffMs;
    /** What the last container start resolved: a volume refresh reuses its tokens, Service env and claims. */
    private PodContext.Resolved lastResolved;
    private Instant nextVolumeRefresh;
    private final LifecycleHooks hooks;
    /** Replaced, never changed, once the worker runs: the agent API's threads read it while ephemeral containers are added. */
    private volatile Map<String, ContainerRecord> containers = new LinkedHashMap<>();
    private final Map<String, String> conditionTimes = new LinkedHashMap<>();
    private Pod pod;
    private Instant startTime;
    private String terminalPhase;
    /** Set when the kubelet's activeDeadlineHandler fired: the pod's status reason and message. */
    private String deadlineExceeded;
    private Instant stopRequestedAt;
    private Duration stopGrace;
    /** The regular containers are done or stopping: sidecars are not (re)started any more and stop one by one. */
    private boolean sidecarsEnding;
    private boolean sandboxReady;
    /** When this agent first saw the pod: the kubelet's {@code kubernetes.io/config.seen}. */
    private final String seen;
    /** Finished before this agent saw it (an agent restart): its status stays as it was posted. */
    private boolean adoptedTerminal;

    PodWorker(Pod pod, ContainerRuntime runtime, Prober prober, Executor probeExecutor, EventRecorder events, Clock clock,
              AgentConfig config, String nodeName, String hostIP, String podIP, Function<Pod, PodContext.Resolved> resolver,
              Function<Pod, PodContext.Resolved> dataResolver, Function<Pod, String> sandboxFailure) {
        this.pod = pod;
        this.runtime = runtime;
        this.prober = prober;
        this.probeExecutor = probeExecutor;
        this.events = events;
        this.clock = clock;
        this.config = config;
        this.nodeName = nodeName;
        this.hostIP = hostIP;
        this.podIP = podIP;
        this.resolver = resolver;
        this.dataResolver = dataResolver;
        this.sandboxFailure = sandboxFailure;
        this.hooks = new LifecycleHooks(runtime, prober);
        this.seen = clock.instant().toString();
        if (pod.getSpec().getInitContainers() != null) {
            for (Container c : pod.getSpec().getInitContainers()) {
                containers.put(c.getName(), new ContainerRecord(c, true));
            }
        }
        for (Container c : pod.getSpec().getContainers()) {
            containers.put(c.getName(), new ContainerRecord(c, false));
        }
        addEphemeralContainers(pod);
        // A restarted agent takes over the pod's start time and condition history from its last status.
        if (pod.getStatus() != null && pod.getStatus().getStartTime() != null) {
            startTime = Instant.parse(pod.getStatus().getStartTime());
        }
        if (pod.getStatus() != null && pod.getStatus().getConditions() != null) {
            pod.getStatus().getConditions().forEach(c -> conditionTimes.put(c.getType() + "=" + c.getStatus(), c.getLastTransitionTime()));
        }
        String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
        if ("Succeeded".equals(phase) || "Failed".equals(phase)) {
            terminalPhase = phase;
            adoptedTerminal = true;
        }
        if (pod.getStatus() != null) {
            for (var list : List.of(pod.getStatus().getContainerStatuses(), pod.getStatus().getInitContainerStatuses())) {
                list.forEach(cs -> {
                    ContainerRecord r = containers.get(cs.getName());
                    if (r != null && cs.getRestartCount() != null) {
                        r.restartCount = cs.getRestartCount();
                    }
                });
            }
        }
    }

    void update(Pod latest) {
        this.pod = latest;
        addEphemeralContainers(latest);
        for (Container next : latest.getSpec().getContainers()) {
            ContainerRecord c = containers.get(next.getName());
            if (c == null || !c.app() || java.util.Objects.equals(c.spec.getImage(), next.getImage())
                    || c.respec != null && java.util.Objects.equals(c.respec.getImage(), next.getImage())) {
                continue;
            }
            if (c.running()) {
                c.respec = next; // the kubelet's computePodActions: killed, then started from the new definition
            } else if (c.terminated == null) {
                c.spec = next; // not running (creating, backing off): its next start uses the new definition
            }
        }
    }

    /** Records the ephemeral containers the pod gained (they can only be added). */
    private void addEphemeralContainers(Pod p) {
        if (p.getSpec().getEphemeralContainers() == null
                || p.getSpec().getEphemeralContainers().stream().allMatch(e -> containers.containsKey(e.getName()))) {
            return;
        }
        Map<String, ContainerRecord> next = new LinkedHashMap<>(containers);
        for (var e : p.getSpec().getEphemeralContainers()) {
            next.computeIfAbsent(e.getName(), n -> new ContainerRecord(JSON.convertValue(e, Container.class), false, true));
        }
        containers = next;
    }

    private volatile ObjectNode lastStatus;

    Pod pod() {
        return pod;
    }

    /** The pod with the status this worker computed last (a standalone agent has no other). */
    Pod podWithStatus() {
        ObjectNode status = lastStatus;
        if (status == null) {
            return pod;
        }
        ObjectNode tree = JSON.valueToTree(pod);
        tree.set("status", status);
        return JSON.convertValue(tree, Pod.class);
    }

    String podIP() {
        return podIP;
    }

    /** The current run of a container (exec). */
    Optional<RuntimeContainer> container(String name) {
        ContainerRecord r = containers.get(name);
        return r == null ? Optional.empty() : Optional.ofNullable(r.current);
    }

    /**
     * The run whose log {@code kubectl logs} shows, as the kubelet picks it: with {@code previous} the last
     * terminated run; otherwise the current run, or while the container waits (CrashLoopBackOff) its last run.
     *
     * @throws IllegalStateException with the kubelet's message when there is none
     */
    RuntimeContainer logTarget(String name, boolean previous) {
        ContainerRecord r = containers.get(name);
        String podName = pod.getMetadata().getName();
        if (r == null) {
            throw new IllegalArgumentException("container " + name + " is not valid for pod " + podName);
        }
        RuntimeContainer cur = r.current;
        RuntimeContainer prev = r.previous;
        if (previous) {
            if (prev == null) {
                throw new IllegalStateException("previous terminated container \"" + name + "\" in pod \"" + podName + "\" not found");
            }
            return prev;
        }
        if (cur != null) {
            return cur;
        }
        if (prev != null) {
            return prev;
        }
        Optional<RuntimeContainer> restored = adoptedTerminal ? restore(r) : Optional.empty();
        if (restored.isPresent()) {
            return restored.get();
        }
        String reason = r.waitingReason == null ? "ContainerCreating" : r.waitingReason;
        throw new IllegalStateException("container \"" + name + "\" in pod \"" + podName + "\" is waiting to start: " + reason);
    }

    /** The run of a container that finished before this agent started, from the status posted then (once). */
    private synchronized Optional<RuntimeContainer> restore(ContainerRecord r) {
        if (r.current != null) {
            return Optional.of(r.current);
        }
        var status = pod.getStatus();
        if (status == null) {
            return Optional.empty();
        }
        List<io.fabric8.kubernetes.api.model.ContainerStatus> all = new ArrayList<>();
        for (var list : List.of(status.getContainerStatuses(), status.getInitContainerStatuses())) {
            if (list != null) {
                all.addAll(list);
            }
        }
        for (var cs : all) {
            var t = cs.getState() == null ? null : cs.getState().getTerminated();
            if (cs.getName().equals(r.spec.getName()) && t != null && t.getStartedAt() != null && t.getFinishedAt() != null) {
                Optional<RuntimeContainer> run = runtime.restore(context(), r.spec, t.getExitCode() == null ? 0 : t.getExitCode(),
                        Instant.parse(t.getStartedAt()), Instant.parse(t.getFinishedAt()));
                run.ifPresent(x -> r.current = x);
                return run;
            }
        }
        return Optional.empty();
    }

    List<String> containerNames() {
        return new ArrayList<>(containers.keySet());
    }

    boolean terminating() {
        return pod.getMetadata().getDeletionTimestamp() != null;
    }

    /** True once every container has stopped after the pod was marked for deletion: time for the final delete. */
    boolean stopped() {
        return stopRequestedAt != null && containers.values().stream().noneMatch(ContainerRecord::running);
    }

    private PodContext context() {
        PodContext.Resolved r = resolver.apply(pod);
        lastResolved = r;
        return context(r);
    }

    private PodContext context(PodContext.Resolved r) {
        return new PodContext(withConfigAnnotations(pod), podIP, hostIP, nodeName, config.capacity(), r.configMaps(), r.secrets(), r.serviceEnv(), r.serviceAccountTokens(), r.claims());
    }

    /**
     * The pod as the kubelet holds it: its config source adds {@code kubernetes.io/config.source: api} and
     * {@code kubernetes.io/config.seen} to its own copy (never to the API object), which the downward API shows
     * ({@code metadata.annotations}). Static pods have theirs from the file source.
     */
    private Pod withConfigAnnotations(Pod p) {
        Map<String, String> a = p.getMetadata().getAnnotations();
        if (a != null && a.containsKey(StaticPodSource.SOURCE)) {
            return p;
        }
        return new io.fabric8.kubernetes.api.model.PodBuilder(p).editMetadata()
                .addToAnnotations(StaticPodSource.SOURCE, "api").addToAnnotations(StaticPodSource.SEEN, seen).endMetadata().build();
    }

    /** Advances the pod one step and returns the status it should have now (null: leave the posted status alone). */
    ObjectNode sync() {
        ObjectNode status = step();
        if (status != null) {
            lastStatus = status;
        }
        return status;
    }

    private ObjectNode step() {
        Instant now = clock.instant();
        if (adoptedTerminal) {
            if (terminating()) {
                stopRequestedAt = now;
            }
            return null;
        }
        if (startTime == null) {
            startTime = now.truncatedTo(ChronoUnit.SECONDS);
            // The first status: accepted, containers being created (the kubelet reports Pending first).
            return status(now);
        }
        if (!sandboxReady && !terminating()) {
            if (sandboxRetryAt != null && now.isBefore(sandboxRetryAt)) {
                return null;
            }
            String failure = sandboxFailure.apply(pod);
            if (failure != null) {
                // As the kubelet's SyncPod when createPodSandbox fails: the containers stay ContainerCreating, an event
                // each try, tried again with the crash back-off.
                events.event(pod, "Warning", "FailedCreatePodSandBox", "Failed to create pod sandbox: " + failure, null);
                long delay = sandboxBackoffMs == 0 ? config.backoffBase().toMillis() : sandboxBackoffMs;
                sandboxRetryAt = now.plusMillis(delay);
                sandboxBackoffMs = Math.min(Math.max(delay, 1) * 2, config.backoffMax().toMillis());
                return null;
            }
        }
        sandboxReady = true;
        if (terminating()) {
            stopAll(now);
            observeExits(now, false);
            if (terminalPhase == null && stopped()) {
                // as the kubelet since 1.27: a deleted pod whose containers all stopped ends Succeeded (every one
                // exited 0) or Failed before its final delete, which a finalizer may hold up
                terminalPhase = containers.values().stream().filter(ContainerRecord::app).allMatch(c -> c.succeeded) ? "Succeeded" : "Failed";
            }
            return status(now);
        }
        if (deadlineExceeded == null && terminalPhase == null && pastActiveDeadline(now)) {
            killForDeadline(now);
        }
        if (deadlineExceeded != null) {
            observeExits(now, false);
            return status(now);
        }
        if (terminalPhase != null) {
            return status(now);
        }
        observeExits(now, true);
        boolean initDone = runInitContainers(now);
        if (initDone && terminalPhase == null) {
            for (ContainerRecord c : containers.values()) {
                if (c.app()) {
                    runContainer(c, now);
                } else if (c.ephemeral && c.current == null && c.terminated == null) {
                    start(c, now);
                }
            }
        }
        decideTerminalPhase();
        refreshVolumesIfDue(now);
        return status(now);
    }

    /**
     * As the kubelet's periodic pod sync (every {@code syncFrequency}): running containers see their ConfigMaps' and
     * Secrets' current data, and the pod's current labels and annotations, in their volumes.
     */
    private void refreshVolumesIfDue(Instant now) {
        if (nextVolumeRefresh == null) {
            nextVolumeRefresh = now.plus(config.syncFrequency());
            return;
        }
        if (now.isBefore(nextVolumeRefresh) || lastResolved == null || !hasRefreshableVolumes()) {
            return;
        }
        nextVolumeRefresh = now.plus(config.syncFrequency());
        PodContext.Resolved data = dataResolver.apply(pod);
        PodContext ctx = context(new PodContext.Resolved(data.configMaps(), data.secrets(), lastResolved.serviceEnv(),
                lastResolved.serviceAccountTokens(), lastResolved.claims()));
        for (ContainerRecord c : containers.values()) {
            if (c.running()) {
                runtime.refreshVolumes(ctx, c.current, c.spec);
            }
        }
    }

    /** Volumes whose content can change while the pod runs (the ServiceAccount's kube-root-ca.crt and token excepted). */
    private boolean hasRefreshableVolumes() {
        if (pod.getSpec().getVolumes() == null) {
            return false;
        }
        for (var v : pod.getSpec().getVolumes()) {
            if (v.getConfigMap() != null || v.getSecret() != null || v.getDownwardAPI() != null) {
                return true;
            }
            if (v.getProjected() != null && v.getProjected().getSources() != null && v.getProjected().getSources().stream()
                    .anyMatch(p -> p.getSecret() != null || p.getConfigMap() != null && !"kube-root-ca.crt".equals(p.getConfigMap().getName()))) {
                return true;
            }
        }
        return false;
    }

    private boolean pastActiveDeadline(Instant now) {
        Long seconds = pod.getSpec().getActiveDeadlineSeconds();
        return seconds != null && startTime != null && !now.isBefore(startTime.plusSeconds(seconds));
    }

    /** As the kubelet's activeDeadlineHandler: the pod fails with DeadlineExceeded and its containers are stopped. */
    private void killForDeadline(Instant now) {
        deadlineExceeded = "Pod was active on the node longer than the specified deadline";
        terminalPhase = "Failed";
        events.event(pod, "Warning", "DeadlineExceeded", deadlineExceeded, null);
        stopRunning(terminationGrace(), c -> true);
    }

    /** The pod's {@code terminationGracePeriodSeconds} (default 30 s): how long a container it stops itself gets. */
    private Duration terminationGrace() {
        return grace(pod.getSpec().getTerminationGracePeriodSeconds());
    }

    private static Duration grace(Long seconds) {
        return Duration.ofSeconds(seconds == null ? 30 : Math.max(0, seconds));
    }

    /** Stops the running containers {@code which} selects for good (no restart) within {@code g}. */
    private void stopRunning(Duration g, java.util.function.Predicate<ContainerRecord> which) {
        for (ContainerRecord c : containers.values()) {
            if (c.running() && !c.stopping && which.test(c)) {
                c.stopping = true;
                events.event(pod, "Normal", "Killing", "Stopping container " + c.spec.getName(), fieldPath(c));
                stopContainer(c, g);
            }
        }
    }

    /**
     * As the kubelet's killPodWithSyncResult since sidecars: the regular containers are stopped first, the sidecars once
     * they have exited, with what is left of the grace period (at least the kubelet's 2 s unless the grace was 0).
     */
    private void stopAll(Instant now) {
        if (stopRequestedAt == null) {
            stopRequestedAt = now;
            stopGrace = grace(pod.getMetadata().getDeletionGracePeriodSeconds());
            stopRunning(stopGrace, c -> !c.sidecar());
        }
        if (containers.values().stream().noneMatch(c -> !c.sidecar() && c.running())) {
            Duration left = stopGrace.minus(Duration.between(stopRequestedAt, now));
            stopNextSidecar(stopGrace.isZero() ? Duration.ZERO : max(left, Duration.ofSeconds(2)));
        }
    }

    /**
     * Sidecars stop after the regular containers, one at a time in the reverse of their order (as the kubelet), so a
     * log shipper defined first outlives what it ships from.
     */
    private void stopNextSidecar(Duration grace) {
        sidecarsEnding = true;
        List<ContainerRecord> sidecars = containers.values().stream().filter(ContainerRecord::sidecar).toList();
        if (sidecars.stream().anyMatch(c -> c.stopping && c.running())) {
            return;
        }
        for (int i = sidecars.size() - 1; i >= 0; i--) {
            ContainerRecord c = sidecars.get(i);
            if (c.running() && !c.stopping) {
                c.stopping = true;
                events.event(pod, "Normal", "Killing", "Stopping container " + c.spec.getName(), fieldPath(c));
                stopContainer(c, grace);
                return;
            }
        }
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    /** Records the containers that exited since the last step; restarts or back-off are decided by the callers. */
    private void observeExits(Instant now, boolean allowRestart) {
        for (ContainerRecord c : containers.values()) {
            if (c.current == null || c.terminated != null) {
                continue;
            }
            Optional<RuntimeContainer.Exit> exit = c.current.exit();
            if (exit.isEmpty()) {
                continue;
            }
            RuntimeContainer.Exit e = exit.get();
            ObjectNode term = terminatedState(c.current, e);
            terminationMessage(c, e).ifPresent(m -> term.put("message", m));
            if (c.init && !c.sidecar() && e.exitCode() == 0) {
                c.succeeded = true;
                c.terminated = term;
                continue;
            }
            String policy = restartPolicy();
            boolean respec = c.respec != null && c.respecStopping;
            // a sidecar is restarted whatever the pod's policy; a regular init container that failed unless it is Never
            boolean restart = allowRestart && !c.stopping && !c.ephemeral && !(c.sidecar() && sidecarsEnding) && (respec || c.sidecar() || policy.equals("Always")
                    || (policy.equals("OnFailure") && e.exitCode() != 0) || (c.init && !policy.equals("Never") && e.exitCode() != 0));
            if (!restart) {
                c.terminated = term;
                if (c.app() && e.exitCode() == 0) {
                    c.succeeded = true;
                }
                continue;
            }
            // Restart: the first one at once, then back off (upstream: 10 s doubling to 5 min, reset after 10 min of running).
            long ranMs = Duration.between(c.current.startedAt(), e.finishedAt()).toMillis();
            if (ranMs > 10 * 60_000L) {
                c.backoffMs = 0;
            }
            c.lastTerminated = term;
            c.previous = c.current;
            c.current = null;
            c.restartCount++;
            c.resetProbes();
            if (respec) {
                // restarted at once from the new definition, whatever the restart policy (no crash back-off)
                c.spec = c.respec;
                c.respec = null;
                c.respecStopping = false;
                c.backoffMs = 0;
            }
            if (c.backoffMs == 0) {
                c.backoffMs = config.backoffBase().toMillis();
                c.backoffUntil = null;
            } else {
                c.backoffUntil = e.finishedAt().plusMillis(c.backoffMs);
                c.waitingReason = "CrashLoopBackOff";
                c.waitingMessage = "back-off " + humanDuration(c.backoffMs) + " restarting failed container=" + c.spec.getName()
                        + " pod=" + pod.getMetadata().getName() + "_" + pod.getMetadata().getNamespace() + "(" + pod.getMetadata().getUid() + ")";
                events.event(pod, "Warning", "BackOff", "Back-off restarting failed container " + c.spec.getName() + " in pod "
                        + pod.getMetadata().getName() + "_" + pod.getMetadata().getNamespace() + "(" + pod.getMetadata().getUid() + ")", fieldPath(c));
                c.backoffMs = Math.min(c.backoffMs * 2, config.backoffMax().toMillis());
            }
        }
    }

    /** The kubelet reads at most this much of the termination message file. */
    private static final int MAX_TERMINATION_MESSAGE = 4096;
    /** FallbackToLogsOnError: the log's last 80 lines, at most 2048 bytes (the kubelet's). */
    private static final int FALLBACK_LOG_LINES = 80;
    private static final int FALLBACK_LOG_BYTES = 2048;

    /**
     * The terminated state's message, as the kubelet's: what the container wrote to its terminationMessagePath, or with
     * {@code terminationMessagePolicy: FallbackToLogsOnError} and a failed container that wrote none, the end of its log.
     */
    private Optional<String> terminationMessage(ContainerRecord c, RuntimeContainer.Exit e) {
        String path = c.spec.getTerminationMessagePath() == null || c.spec.getTerminationMessagePath().isEmpty()
                ? "/dev/termination-log" : c.spec.getTerminationMessagePath();
        Optional<byte[]> written = runtime.terminationMessage(c.current, path).filter(b -> b.length > 0);
        if (written.isPresent()) {
            byte[] b = written.get();
            return Optional.of(new String(b, 0, Math.min(b.length, MAX_TERMINATION_MESSAGE), StandardCharsets.UTF_8));
        }
        if (e.exitCode() == 0 || !"FallbackToLogsOnError".equals(c.spec.getTerminationMessagePolicy())) {
            return Optional.empty();
        }
        List<String> lines = runtime.log(c.current, runtime.logStart(c.current))
                .map(chunk -> new String(chunk.bytes(), StandardCharsets.UTF_8).lines()
                        .map(l -> io.kuberaft.nodeagent.runtime.CriLog.parse(l).text()).toList())
                .orElse(List.of());
        String tail = String.join("\n", lines.subList(Math.max(0, lines.size() - FALLBACK_LOG_LINES), lines.size()));
        if (!lines.isEmpty()) {
            tail += "\n";
        }
        byte[] b = tail.getBytes(StandardCharsets.UTF_8);
        return b.length == 0 ? Optional.empty()
                : Optional.of(new String(b, Math.max(0, b.length - FALLBACK_LOG_BYTES), Math.min(b.length, FALLBACK_LOG_BYTES), StandardCharsets.UTF_8));
    }

    private static String humanDuration(long ms) {
        long s = ms / 1000;
        return s >= 60 ? (s / 60) + "m" + (s % 60) + "s" : s + "s";
    }

    private String restartPolicy() {
        String p = pod.getSpec().getRestartPolicy();
        return p == null ? "Always" : p;
    }

    /**
     * Runs the init containers in order; true once all of them have succeeded, sidecars started. Sidecars are kept running
     * (probed, restarted) here in every step, also after the pod has initialised.
     */
    private boolean runInitContainers(Instant now) {
        for (ContainerRecord c : containers.values()) {
            if (!c.init) {
                continue;
            }
            if (c.sidecar()) {
                runContainer(c, now);
                c.sidecarStarted |= started(c);
                if (c.sidecarStarted) {
                    continue;
                }
                return false;
            }
            if (c.succeeded) {
                continue;
            }
            if (c.terminated != null) {
                // Failed for good (restartPolicy Never).
                terminalPhase = "Failed";
                return false;
            }
            if (c.current == null) {
                start(c, now);
            }
            return false;
        }
        return true;
    }

    /** Keeps a regular container or a sidecar going: starts it (after its back-off), handles its hooks and probes. */
    private void runContainer(ContainerRecord c, Instant now) {
        if (c.terminated != null || (c.stopping || c.sidecar() && sidecarsEnding) && c.current == null) {
            return;
        }
        if (c.current == null) {
            start(c, now);
            return;
        }
        if (c.running()) {
            if (c.respec != null && !c.respecStopping) {
                c.respecStopping = true;
                events.event(pod, "Normal", "Killing", "Container " + c.spec.getName() + " definition changed, will be restarted", fieldPath(c));
                stopContainer(c, terminationGrace());
                return;
            }
            if (c.postStartRunning) {
                return; // not probed before its postStart hook is done
            }
            String failed = c.postStartFailure;
            if (failed != null) {
                c.postStartFailure = null;
                events.event(pod, "Warning", "FailedPostStartHook", failed, fieldPath(c));
                events.event(pod, "Normal", "Killing", "FailedPostStartHook", fieldPath(c));
                stopContainer(c, terminationGrace());
                return; // restarted (or not) by its restartPolicy like any exit
            }
            runProbes(c, now);
        }
    }

    /**
     * Stops the current run: its preStop hook first (off the sync loop, within the grace period), then SIGTERM with
     * what is left of the grace period, at least 2 s as the kubelet's, then SIGKILL. A grace of 0 skips the hook.
     */
    private void stopContainer(ContainerRecord c, Duration grace) {
        RuntimeContainer run = c.current;
        var pre = c.init && !c.sidecar() || c.spec.getLifecycle() == null ? null : c.spec.getLifecycle().getPreStop();
        if (pre == null || grace.isZero()) {
            runtime.stop(run, grace);
            return;
        }
        Prober.Target t = new Prober.Target(run, c.spec, podIP, pod.getMetadata().getUid());
        Pod p = pod;
        String field = fieldPath(c);
        long t0 = System.nanoTime();
        probeExecutor.execute(() -> {
            hooks.run("PreStop", pre, t, p, grace).ifPresent(m -> events.event(p, "Warning", "FailedPreStopHook", m, field));
            Duration left = grace.minusNanos(System.nanoTime() - t0);
            runtime.stop(run, left.compareTo(Duration.ofSeconds(2)) < 0 ? Duration.ofSeconds(2) : left);
        });
    }

    private static final long MOUNT_RETRY_BASE_MS = 500;

    private void start(ContainerRecord c, Instant now) {
        if (c.backoffUntil != null && now.isBefore(c.backoffUntil)) {
            return;
        }
        try {
            c.current = runtime.start(context(), c.spec, c.restartCount);
            c.backoffUntil = null;
            c.mountRetryMs = 0;
            c.waitingReason = null;
            c.waitingMessage = null;
            if (c.restartCount == 0) {
                events.event(pod, "Normal", "Pulled", "Container image \"" + c.spec.getImage() + "\" already present on machine", fieldPath(c));
            }
            events.event(pod, "Normal", "Created", "Created container " + c.spec.getName(), fieldPath(c));
            events.event(pod, "Normal", "Started", "Started container " + c.spec.getName(), fieldPath(c));
            var post = c.init && !c.sidecar() || c.spec.getLifecycle() == null ? null : c.spec.getLifecycle().getPostStart();
            if (post != null) {
                c.postStartRunning = true;
                Prober.Target t = new Prober.Target(c.current, c.spec, podIP, pod.getMetadata().getUid());
                Pod p = pod;
                Long grace = pod.getSpec().getTerminationGracePeriodSeconds();
                probeExecutor.execute(() -> {
                    try {
                        c.postStartFailure = hooks.run("PostStart", post, t, p, Duration.ofSeconds(grace == null ? 30 : Math.max(1, grace)))
                                .orElse(null);
                    } finally {
                        c.postStartRunning = false;
                    }
                });
            }
        } catch (CannotStartException e) {
            boolean first = !e.reason().equals(c.waitingReason);
            c.waitingReason = e.reason();
            c.waitingMessage = e.getMessage();
            if (e.reason().equals(PodVolumes.VOLUMES_NOT_READY)) {
                // As the kubelet's syncPod when WaitForAttachAndMount fails: still ContainerCreating, a FailedMount event
                // each try, retried soon (a new namespace's kube-root-ca.crt is usually there a moment later).
                c.waitingMessage = null;
                events.event(pod, "Warning", "FailedMount", e.getMessage(), null);
                long delay = c.mountRetryMs == 0 ? MOUNT_RETRY_BASE_MS : c.mountRetryMs;
                c.backoffUntil = now.plusMillis(delay);
                c.mountRetryMs = Math.min(delay * 2, config.backoffMax().toMillis());
                return;
            }
            // Retried with the same back-off as a crash, so a broken container does not spin.
            long delay = c.backoffMs == 0 ? config.backoffBase().toMillis() : c.backoffMs;
            c.backoffUntil = now.plusMillis(delay);
            c.backoffMs = Math.min(Math.max(delay, 1) * 2, config.backoffMax().toMillis());
            if (first) {
                events.event(pod, "Warning", "Failed", "Error: " + e.getMessage(), fieldPath(c));
            }
        }
    }

    private String fieldPath(ContainerRecord c) {
        return (c.init ? "spec.initContainers{" : c.ephemeral ? "spec.ephemeralContainers{" : "spec.containers{") + c.spec.getName() + "}";
    }

    // ---------------------------------------------------------------- probes

    private void runProbes(ContainerRecord c, Instant now) {
        Probe startup = c.spec.getStartupProbe();
        boolean started = startup == null || Boolean.TRUE.equals(c.startup.healthy);
        if (!started) {
            if (advance(c, c.startup, startup, now) && Boolean.FALSE.equals(c.startup.healthy)) {
                kill(c, "Startup");
            }
            return;
        }
        Probe liveness = c.spec.getLivenessProbe();
        if (liveness != null && advance(c, c.liveness, liveness, now) && Boolean.FALSE.equals(c.liveness.healthy)) {
            kill(c, "Liveness");
            return;
        }
        Probe readiness = c.spec.getReadinessProbe();
        if (readiness != null) {
            advance(c, c.readiness, readiness, now);
        }
    }

    private void kill(ContainerRecord c, String kind) {
        events.event(pod, "Normal", "Killing", "Container " + c.spec.getName() + " failed " + kind.toLowerCase()
                + " probe, will be restarted", fieldPath(c));
        stopContainer(c, c.spec.getLivenessProbe() != null && c.spec.getLivenessProbe().getTerminationGracePeriodSeconds() != null
                ? grace(c.spec.getLivenessProbe().getTerminationGracePeriodSeconds()) : terminationGrace());
        c.resetProbes();
        // Not probed again until it has restarted.
        c.liveness.nextAt = Instant.MAX;
        c.startup.nextAt = Instant.MAX;
    }

    /** Starts a due probe or applies a finished one; true when the probe's decided result just changed. */
    private boolean advance(ContainerRecord c, ContainerRecord.ProbeState s, Probe p, Instant now) {
        Prober.Result done = s.pending;
        if (done != null) {
            s.pending = null;
            s.inFlight = false;
            Boolean before = s.healthy;
            int period = positive(p.getPeriodSeconds(), 10);
            s.nextAt = now.plusSeconds(period);
            if (done.success()) {
                s.failures = 0;
                s.successes++;
                if (s.successes >= positive(p.getSuccessThreshold(), 1)) {
                    s.healthy = true;
                }
            } else {
                s.successes = 0;
                s.failures++;
                events.event(pod, "Warning", "Unhealthy", s.kind + " probe failed: " + done.message(), fieldPath(c));
                if (s.failures >= positive(p.getFailureThreshold(), 3)) {
                    s.healthy = false;
                }
            }
            return !java.util.Objects.equals(before, s.healthy);
        }
        if (s.inFlight) {
            return false;
        }
        if (s.nextAt == null) {
            s.nextAt = c.current.startedAt().plusSeconds(Math.max(0, p.getInitialDelaySeconds() == null ? 0 : p.getInitialDelaySeconds()));
        }
        if (now.isBefore(s.nextAt)) {
            return false;
        }
        s.inFlight = true;
        RuntimeContainer target = c.current;
        probeExecutor.execute(() -> {
            Prober.Result r;
            try {
                r = prober.probe(p, s.kind, new Prober.Target(target, c.spec, podIP, pod.getMetadata().getUid()));
            } catch (RuntimeException e) {
                r = new Prober.Result(false, e.getMessage());
            }
            s.pending = r;
        });
        return false;
    }

    private static int positive(Integer v, int dflt) {
        return v == null || v <= 0 ? dflt : v;
    }

    // ---------------------------------------------------------------- status

    /**
     * The pod ends when its regular containers have (restartPolicy Never or OnFailure). Its sidecars are then stopped and not
     * restarted, and the pod is terminal only once they have exited, as the kubelet reports it; their exit codes do not count.
     */
    private void decideTerminalPhase() {
        if (terminalPhase != null) {
            return;
        }
        List<ContainerRecord> app = containers.values().stream().filter(ContainerRecord::app).toList();
        if (!app.stream().allMatch(c -> c.terminated != null)) {
            return;
        }
        stopNextSidecar(terminationGrace());
        if (containers.values().stream().noneMatch(ContainerRecord::running)) {
            terminalPhase = app.stream().allMatch(c -> c.succeeded) ? "Succeeded" : "Failed";
        }
    }

    /** An init container the pod has got past: succeeded, or a sidecar that has started. */
    private static boolean initialized(ContainerRecord c) {
        return c.sidecar() ? c.sidecarStarted : c.succeeded;
    }

    /** Running, its postStart hook done and its startupProbe (if any) passed: the status' {@code started}. */
    private static boolean started(ContainerRecord c) {
        return c.running() && !c.postStartRunning && (c.spec.getStartupProbe() == null || Boolean.TRUE.equals(c.startup.healthy));
    }

    private String phase() {
        if (terminalPhase != null) {
            return terminalPhase;
        }
        boolean initDone = containers.values().stream().filter(c -> c.init).allMatch(PodWorker::initialized);
        if (!initDone) {
            return "Pending";
        }
        List<ContainerRecord> app = containers.values().stream().filter(ContainerRecord::app).toList();
        boolean anyStarted = app.stream().anyMatch(c -> c.current != null || c.restartCount > 0 || c.terminated != null);
        return anyStarted ? "Running" : "Pending";
    }

    private boolean ready(ContainerRecord c) {
        if (!c.running() || c.stopping || c.postStartRunning || terminating()) {
            return false;
        }
        boolean started = c.spec.getStartupProbe() == null || Boolean.TRUE.equals(c.startup.healthy);
        boolean readiness = c.spec.getReadinessProbe() == null || Boolean.TRUE.equals(c.readiness.healthy);
        return started && readiness;
    }

    ObjectNode status(Instant now) {
        ObjectNode st = JSON.createObjectNode();
        String phase = phase();
        st.put("phase", phase);
        if (deadlineExceeded != null) {
            st.put("reason", "DeadlineExceeded");
            st.put("message", deadlineExceeded);
        }
        List<String> notInit = containers.values().stream().filter(c -> c.init && !initialized(c)).map(c -> c.spec.getName()).toList();
        // sidecars count for readiness, listed first as the kubelet's GenerateContainersReadyCondition does
        List<String> notReady = containers.values().stream().filter(c -> (c.app() || c.sidecar()) && !ready(c)).map(c -> c.spec.getName()).toList();
        boolean completed = "Succeeded".equals(phase) || "Failed".equals(phase);
        ArrayNode conds = st.putArray("conditions");
        condition(conds, "PodReadyToStartContainers", sandboxReady && !completed, null, null);
        condition(conds, "Initialized", notInit.isEmpty(), "ContainersNotInitialized", "containers with incomplete status: " + brackets(notInit));
        String whyNotReady = completed ? "PodCompleted" : "ContainersNotReady";
        String msgNotReady = completed ? null : "containers with unready status: " + brackets(notReady);
        condition(conds, "Ready", notReady.isEmpty() && !completed, whyNotReady, msgNotReady);
        condition(conds, "ContainersReady", notReady.isEmpty() && !completed, whyNotReady, msgNotReady);
        condition(conds, "PodScheduled", true, null, null);
        st.put("hostIP", hostIP);
        st.putArray("hostIPs").addObject().put("ip", hostIP);
        if (sandboxReady) {
            st.put("podIP", podIP);
            st.putArray("podIPs").addObject().put("ip", podIP);
        } else {
            st.putNull("podIP");
            st.putNull("podIPs");
        }
        st.put("startTime", format(startTime));
        ArrayNode init = JSON.createArrayNode();
        ArrayNode app = JSON.createArrayNode();
        ArrayNode ephemeral = JSON.createArrayNode();
        for (ContainerRecord c : containers.values()) {
            (c.init ? init : c.ephemeral ? ephemeral : app).add(containerStatus(c));
        }
        if (!init.isEmpty()) {
            st.set("initContainerStatuses", init);
        }
        st.set("containerStatuses", app);
        if (!ephemeral.isEmpty()) {
            st.set("ephemeralContainerStatuses", ephemeral);
        }
        return st;
    }

    private static String brackets(List<String> names) {
        return "[" + String.join(" ", names) + "]";
    }

    private void condition(ArrayNode conds, String type, boolean ok, String reason, String message) {
        ObjectNode c = conds.addObject();
        c.put("type", type).put("status", ok ? "True" : "False");
        c.putNull("lastProbeTime");
        String key = type + "=" + (ok ? "True" : "False");
        String at = conditionTimes.computeIfAbsent(key, k -> format(clock.instant()));
        // Another status for the same type invalidates the remembered time of the other value.
        conditionTimes.remove(type + "=" + (ok ? "False" : "True"));
        c.put("lastTransitionTime", at);
        if (!ok && reason != null) {
            c.put("reason", reason);
            if (message != null) {
                c.put("message", message);
            }
        }
    }

    private ObjectNode containerStatus(ContainerRecord c) {
        ObjectNode s = JSON.createObjectNode();
        s.put("name", c.spec.getName());
        ObjectNode state = s.putObject("state");
        if (c.terminated != null) {
            state.set("terminated", c.terminated);
        } else if (c.current != null) {
            Optional<RuntimeContainer.Exit> exit = c.current.exit();
            if (exit.isPresent()) {
                state.set("terminated", terminatedState(c.current, exit.get()));
            } else if (c.postStartRunning) {
                state.putObject("waiting").put("reason", "ContainerCreating"); // the kubelet's start returns after postStart
            } else {
                state.putObject("running").put("startedAt", format(c.current.startedAt()));
            }
        } else {
            ObjectNode w = state.putObject("waiting");
            String reason = c.waitingReason;
            if (reason == null || reason.equals("ContainerCreating")) {
                // the kubelet's convertToAPIContainerStatuses: a container not created yet waits in PodInitializing, init
                // containers too, when the pod has init containers
                reason = hasInitContainers() ? "PodInitializing" : "ContainerCreating";
            }
            w.put("reason", reason);
            if (c.waitingMessage != null) {
                w.put("message", c.waitingMessage);
            }
        }
        ObjectNode last = s.putObject("lastState");
        if (c.lastTerminated != null) {
            last.set("terminated", c.lastTerminated);
        }
        s.put("ready", c.init && !c.sidecar() ? c.succeeded : !c.ephemeral && ready(c));
        s.put("restartCount", c.restartCount);
        s.put("image", c.spec.getImage());
        s.put("imageID", imageId(c.spec.getImage()));
        RuntimeContainer shown = c.current;
        if (shown != null) {
            s.put("containerID", shown.containerId());
        }
        s.put("started", c.init && !c.sidecar() ? c.running() : started(c));
        return s;
    }

    private boolean hasInitContainers() {
        return containers.values().stream().anyMatch(c -> c.init);
    }

    private static ObjectNode terminatedState(RuntimeContainer rc, RuntimeContainer.Exit e) {
        ObjectNode t = JSON.createObjectNode();
        t.put("exitCode", e.exitCode()).put("reason", e.reason());
        if (e.message() != null) {
            t.put("message", e.message());
        }
        t.put("startedAt", format(rc.startedAt())).put("finishedAt", format(e.finishedAt())).put("containerID", rc.containerId());
        return t;
    }

    static String imageId(String image) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(String.valueOf(image).getBytes(StandardCharsets.UTF_8));
            String repo = image == null ? "" : image.contains("@") ? image.substring(0, image.indexOf('@')) : image.replaceFirst(":[^:/]+$", "");
            return repo + "@sha256:" + HexFormat.of().formatHex(d);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String format(Instant t) {
        return DateTimeFormatter.ISO_INSTANT.format(t.truncatedTo(ChronoUnit.SECONDS));
    }
}
