package io.kuberaft.controllers.job;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import io.fabric8.kubernetes.api.model.batch.v1.JobConditionBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobStatus;
import io.fabric8.kubernetes.api.model.batch.v1.UncountedTerminatedPods;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.kuberaft.controllers.runtime.Controller;
import io.kuberaft.controllers.runtime.ControllerContext;
import io.kuberaft.controllers.runtime.ControllerRefs;
import io.kuberaft.controllers.runtime.Keys;
import io.kuberaft.controllers.runtime.NameExpectations;
import io.kuberaft.controllers.runtime.PodControl;
import io.kuberaft.controllers.runtime.Pods;
import io.kuberaft.controllers.runtime.DirectRequests;
import io.kuberaft.controllers.runtime.WorkQueue;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The Job controller, as upstream 1.32's: pods from the template up to {@code parallelism} until
 * {@code completions} succeed (NonIndexed), or one pod per completion index (Indexed); every pod carries
 * the {@code batch.kubernetes.io/job-tracking} finalizer, and a finished pod is counted through
 * {@code status.uncountedTerminatedPods} before its finalizer goes, so no pod is counted twice or lost.
 * Failures are replaced after an exponential backoff until {@code backoffLimit}; {@code activeDeadlineSeconds}
 * and suspend as upstream; the interim conditions SuccessCriteriaMet / FailureTarget come first, the
 * terminal Complete / Failed once no pod of the job is left running or terminating.
 */
public final class JobController implements Controller {
    public static final String TRACKING_FINALIZER = "batch.kubernetes.io/job-tracking";
    public static final String COMPLETION_INDEX = "batch.kubernetes.io/job-completion-index";
    /** On an Indexed Job's pod with backoffLimitPerIndex: how many pods of its index failed before it. */
    public static final String INDEX_FAILURE_COUNT = "batch.kubernetes.io/job-index-failure-count";
    static final String JOB_INDEX = "job-by-owner";
    private static final int MAX_BATCH = 500;

    private ControllerContext ctx;
    private WorkQueue queue;
    private SharedIndexInformer<Job> jobs;
    private SharedIndexInformer<Pod> pods;
    private PodControl podControl;
    private final NameExpectations creations = new NameExpectations();
    private final NameExpectations deletions = new NameExpectations();
    /** Pod uids whose finalizer we removed, until the cache shows it gone (upstream's finalizer expectations). */
    private final Set<String> finalizerRemoved = ConcurrentHashMap.newKeySet();
    /** Per job uid: consecutive failures since the last success and the time of the last one (upstream's backoffRecord). */
    private final Map<String, Backoff> backoffs = new ConcurrentHashMap<>();
    /** With backoffLimitPerIndex, by Job uid: when each index last failed (its replacement's backoff starts there). */
    private final Map<String, Map<Integer, Instant>> indexFailedAt = new ConcurrentHashMap<>();

    private record Backoff(int failuresAfterLastSuccess, Instant lastFailure) {
    }

    @Override
    public String name() {
        return "job-controller";
    }

    @Override
    public int workers() {
        return 5;
    }

    @Override
    public void register(ControllerContext ctx, WorkQueue queue) {
        this.ctx = ctx;
        this.queue = queue;
        this.jobs = ctx.informers().of(Job.class);
        this.pods = ctx.informers().of(Pod.class);
        this.podControl = new PodControl(ctx.client(), ctx.events());
        ctx.informers().index(Pod.class, JOB_INDEX, p -> jobOwner(p).map(r -> List.of(Keys.of(p.getMetadata().getNamespace(), r.getName())))
                .orElse(List.of()));
        jobs.addEventHandler(Keys.enqueue(queue));
        pods.addEventHandler(Keys.on(p -> jobOwner(p).ifPresent(r -> {
            String key = Keys.of(p.getMetadata().getNamespace(), r.getName());
            creations.observed(key, p.getMetadata().getName());
            queue.add(key);
        })));
    }

    private static java.util.Optional<OwnerReference> jobOwner(Pod p) {
        return ControllerRefs.controllerOf(p).filter(r -> "Job".equals(r.getKind()) && r.getApiVersion() != null
                && r.getApiVersion().startsWith("batch/"));
    }

    @Override
    public void reconcile(String key) {
        Job job = jobs.getStore().getByKey(key);
        List<Pod> all = pods.getIndexer().byIndex(JOB_INDEX, key);
        if (job == null || job.getMetadata().getDeletionTimestamp() != null) {
            // the job is gone (or going): its pods no longer need tracking
            for (Pod p : all) {
                if (job == null || ControllerRefs.isControlledBy(p, job)) {
                    removeFinalizer(p);
                }
            }
            if (job == null) {
                creations.forget(key);
                deletions.forget(key);
            }
            return;
        }
        List<Pod> owned = all.stream().filter(p -> ControllerRefs.isControlledBy(p, job)).toList();
        finalizerRemoved.removeIf(uid -> owned.stream().noneMatch(p -> p.getMetadata().getUid().equals(uid)
                && Pods.hasFinalizer(p, TRACKING_FINALIZER)));
        Instant now = ctx.clock().instant();
        JobStatus old = job.getStatus() == null ? new JobStatus() : job.getStatus();
        if (finished(old)) {
            owned.forEach(this::removeFinalizer);
            return;
        }
        JobStatus st = ctx.client().getKubernetesSerialization().clone(old);
        if (st.getUncountedTerminatedPods() == null) {
            st.setUncountedTerminatedPods(new UncountedTerminatedPods());
        }
        UncountedTerminatedPods unc = st.getUncountedTerminatedPods();
        List<String> uSucceeded = new ArrayList<>(nz(unc.getSucceeded()));
        List<String> uFailed = new ArrayList<>(nz(unc.getFailed()));
        boolean indexed = "Indexed".equals(job.getSpec().getCompletionMode());
        int completions = job.getSpec().getCompletions() == null ? -1 : job.getSpec().getCompletions();

        // 1. finished pods still holding the finalizer are recorded as uncounted before the finalizer goes
        boolean newUncounted = false;
        for (Pod p : owned) {
            String uid = p.getMetadata().getUid();
            if (!Pods.hasFinalizer(p, TRACKING_FINALIZER) || finalizerRemoved.contains(uid)
                    || uSucceeded.contains(uid) || uFailed.contains(uid)) {
                continue;
            }
            if (Pods.succeeded(p)) {
                uSucceeded.add(uid);
                newUncounted = true;
            } else if (podFailed(p, job)) {
                uFailed.add(uid);
                newUncounted = true;
            }
        }
        if (newUncounted) {
            unc.setSucceeded(uSucceeded);
            unc.setFailed(uFailed);
            Job written = writeStatus(job, st);
            if (written == null) {
                return;
            }
            job.getMetadata().setResourceVersion(written.getMetadata().getResourceVersion());
        }
        // 2. their finalizers go
        Map<String, Pod> byUid = new HashMap<>();
        owned.forEach(p -> byUid.put(p.getMetadata().getUid(), p));
        for (String uid : concat(uSucceeded, uFailed)) {
            Pod p = byUid.get(uid);
            if (p != null && Pods.hasFinalizer(p, TRACKING_FINALIZER) && !finalizerRemoved.contains(uid)) {
                removeFinalizer(p);
            }
        }
        // 3. ...and they are counted, once
        TreeSet<Integer> completed = indexed ? parseIndexes(st.getCompletedIndexes(), completions) : new TreeSet<>();
        Integer perIndex = indexed ? job.getSpec().getBackoffLimitPerIndex() : null;
        TreeSet<Integer> failedIndexes = perIndex != null ? parseIndexes(st.getFailedIndexes(), completions) : new TreeSet<>();
        int succeeded = nz(st.getSucceeded());
        int failed = nz(st.getFailed());
        int newFailures = 0;
        int newSuccesses = 0;
        for (String uid : uSucceeded) {
            Pod p = byUid.get(uid);
            if (indexed && p != null) {
                int idx = index(p, completions);
                if (idx >= 0 && completed.add(idx)) {
                    succeeded++;
                }
            } else if (!indexed) {
                succeeded++;
            }
            newSuccesses++;
        }
        PodFailurePolicy.Match failJob = null;
        for (String uid : uFailed) {
            Pod p = byUid.get(uid);
            PodFailurePolicy.Match m = p == null ? null : PodFailurePolicy.match(job, p).orElse(null);
            if (m != null && m.action().equals("Ignore")) {
                continue; // not a failure toward backoffLimit, nor in status.failed
            }
            if (m != null && m.action().equals("FailJob") && failJob == null) {
                failJob = m;
            }
            failed++;
            newFailures++;
            if (perIndex != null && p != null) {
                // upstream's backoffLimitPerIndex: an index fails once its pods failed more often than the limit,
                // or at once on a FailIndex rule; the Job goes on with its other indexes
                int idx = index(p, completions);
                if (idx >= 0 && !completed.contains(idx) && (m != null && m.action().equals("FailIndex") || indexFailures(p) + 1 > perIndex)) {
                    failedIndexes.add(idx);
                } else if (idx >= 0) {
                    indexFailedAt.computeIfAbsent(job.getMetadata().getUid(), u -> new ConcurrentHashMap<>()).put(idx, now);
                }
            }
        }
        unc.setSucceeded(new ArrayList<>());
        unc.setFailed(new ArrayList<>());
        // omitempty upstream: counts of 0 are left out (ready and terminating are pointers: 0 is shown)
        st.setSucceeded(succeeded == 0 ? null : succeeded);
        st.setFailed(failed == 0 ? null : failed);
        if (indexed) {
            st.setCompletedIndexes(formatIndexes(completed));
        }
        if (perIndex != null) {
            st.setFailedIndexes(formatIndexes(failedIndexes));
        }
        recordBackoff(job, newSuccesses, newFailures, now);

        // 4. what runs now
        List<Pod> active = new ArrayList<>(owned.stream().filter(Pods::active).toList());
        int terminating = (int) owned.stream().filter(p -> Pods.terminating(p) && !Pods.terminal(p)).count();
        boolean suspended = Boolean.TRUE.equals(job.getSpec().getSuspend());
        List<JobCondition> conds = new ArrayList<>(st.getConditions() == null ? List.of() : st.getConditions());
        JobCondition failureTarget = condition(conds, "FailureTarget");
        JobCondition successMet = condition(conds, "SuccessCriteriaMet");
        String ts = now.truncatedTo(ChronoUnit.SECONDS).toString();

        if (!suspended && st.getStartTime() == null) {
            st.setStartTime(ts);
        }
        if (failureTarget == null && successMet == null) {
            Integer backoffLimit = job.getSpec().getBackoffLimit();
            Long ads = job.getSpec().getActiveDeadlineSeconds();
            int successRule = indexed ? successPolicyRule(job, completed, completions) : -1;
            boolean complete = indexed ? completed.size() >= completions
                    : completions >= 0 ? succeeded >= completions : succeeded > 0 && active.isEmpty();
            if (complete) {
                successMet = cond("SuccessCriteriaMet", "CompletionsReached", "Reached expected number of succeeded pods", ts);
                conds.add(successMet);
            } else if (failJob != null) {
                failureTarget = cond("FailureTarget", "PodFailurePolicy", failJob.message(), ts);
                conds.add(failureTarget);
            } else if (perIndex != null && job.getSpec().getMaxFailedIndexes() != null
                    && failedIndexes.size() > job.getSpec().getMaxFailedIndexes()) {
                failureTarget = cond("FailureTarget", "MaxFailedIndexesExceeded",
                        "Job has exceeded the specified maximal number of failed indexes", ts);
                conds.add(failureTarget);
            } else if (perIndex != null && !failedIndexes.isEmpty() && failedIndexes.size() + completed.size() >= completions) {
                failureTarget = cond("FailureTarget", "FailedIndexes", "Job has failed indexes", ts);
                conds.add(failureTarget);
            } else if (successRule >= 0) {
                successMet = cond("SuccessCriteriaMet", "SuccessPolicy", "Matched rules at index " + successRule, ts);
                conds.add(successMet);
            } else if (backoffLimit != null && (failed > backoffLimit || pastBackoffLimitOnFailure(job, owned, backoffLimit))) {
                failureTarget = cond("FailureTarget", "BackoffLimitExceeded", "Job has reached the specified backoff limit", ts);
                conds.add(failureTarget);
            } else if (ads != null && st.getStartTime() != null && !suspended
                    && !Instant.parse(st.getStartTime()).plusSeconds(ads).isAfter(now)) {
                failureTarget = cond("FailureTarget", "DeadlineExceeded", "Job was active longer than specified deadline", ts);
                conds.add(failureTarget);
            } else if (ads != null && st.getStartTime() != null && !suspended) {
                long ms = Duration.between(now, Instant.parse(st.getStartTime()).plusSeconds(ads)).toMillis();
                queue.addAfter(key, ms + 50);
            }
        }

        boolean expectationsMet = creations.satisfied(key, n -> owned.stream().anyMatch(p -> p.getMetadata().getName().equals(n)))
                && deletions.satisfied(key, n -> owned.stream().noneMatch(p -> p.getMetadata().getName().equals(n) && !Pods.terminating(p)));
        if (failureTarget != null || successMet != null) {
            // finishing: nothing may keep running
            deletePods(job, key, active, active.size());
            active.clear();
        } else if (suspended) {
            deletePods(job, key, active, active.size());
            active.clear();
            setSuspended(job, conds, true, ts);
        } else {
            if (condition(conds, "Suspended") != null && "True".equals(condition(conds, "Suspended").getStatus())) {
                setSuspended(job, conds, false, ts);
                st.setStartTime(ts); // upstream restarts the clock on resume
            }
            if (expectationsMet) {
                TreeSet<Integer> done = new TreeSet<>(completed);
                done.addAll(failedIndexes); // a failed index gets no more pods
                manage(job, key, active, owned, done, succeeded, now);
            }
        }
        List<Pod> nowActive = owned.stream().filter(Pods::active).filter(active::contains).toList();
        st.setActive(active.isEmpty() ? null : active.size());
        st.setReady((int) nowActive.stream().filter(Pods::ready).count());
        st.setTerminating(terminating);

        // 5. terminal condition once nothing of the job runs or terminates
        boolean quiet = active.isEmpty() && owned.stream().noneMatch(p -> !Pods.terminal(p) && Pods.hasFinalizer(p, TRACKING_FINALIZER)
                && !finalizerRemoved.contains(p.getMetadata().getUid()));
        boolean finishedNow = false;
        if (quiet && terminating == 0 && successMet != null && condition(conds, "Complete") == null) {
            conds.add(cond("Complete", successMet.getReason(), successMet.getMessage(), ts));
            st.setCompletionTime(ts);
            finishedNow = true;
        } else if (quiet && terminating == 0 && failureTarget != null && condition(conds, "Failed") == null) {
            conds.add(cond("Failed", failureTarget.getReason(), failureTarget.getMessage(), ts));
            finishedNow = true;
        }
        st.setConditions(conds);
        if (!Objects.equals(st, old)) {
            Job written = writeStatus(job, st);
            if (written != null && finishedNow) {
                if (successMet != null) {
                    if (completions >= 0 && succeeded > completions) {
                        ctx.events().warning(job, "TooManySucceededPods", "Too many succeeded pods running after completion count reached");
                    }
                    ctx.events().normal(job, "Completed", "Job completed");
                } else {
                    ctx.events().warning(job, failureTarget.getReason(), failureTarget.getMessage());
                }
                backoffs.remove(job.getMetadata().getUid());
                indexFailedAt.remove(job.getMetadata().getUid());
            }
        }
    }

    /** The failures a pod's index had before it (its {@link #INDEX_FAILURE_COUNT} annotation). */
    private static int indexFailures(Pod p) {
        String v = p.getMetadata().getAnnotations() == null ? null : p.getMetadata().getAnnotations().get(INDEX_FAILURE_COUNT);
        try {
            return v == null ? 0 : Math.max(0, Integer.parseInt(v));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** upstream's getNewIndexFailureCounts: the failures of the index's pods so far (a failure the policy ignores not counted). */
    private static int failuresOfIndex(Job job, List<Pod> owned, int index) {
        int n = 0;
        for (Pod p : owned) {
            if (index(p, job.getSpec().getCompletions()) == index && podFailed(p, job)) {
                boolean ignored = PodFailurePolicy.match(job, p).map(m -> m.action().equals("Ignore")).orElse(false);
                n = Math.max(n, indexFailures(p) + (ignored ? 0 : 1));
            }
        }
        return n;
    }

    /**
     * upstream's matchSuccessPolicy: the first rule of {@code spec.successPolicy} the succeeded indexes satisfy, or −1.
     * A rule with succeededIndexes needs those indexes (all of them, or succeededCount of them); with succeededCount
     * alone, that many indexes.
     */
    static int successPolicyRule(Job job, TreeSet<Integer> completed, int completions) {
        var policy = job.getSpec().getSuccessPolicy();
        if (policy == null || policy.getRules() == null) {
            return -1;
        }
        for (int i = 0; i < policy.getRules().size(); i++) {
            var rule = policy.getRules().get(i);
            Integer count = rule.getSucceededCount();
            if (rule.getSucceededIndexes() != null) {
                TreeSet<Integer> wanted = parseIndexes(rule.getSucceededIndexes(), completions);
                long have = wanted.stream().filter(completed::contains).count();
                if (count != null ? have >= count : !wanted.isEmpty() && have == wanted.size()) {
                    return i;
                }
            } else if (count != null && completed.size() >= count) {
                return i;
            }
        }
        return -1;
    }

    /**
     * upstream's pastBackoffLimitOnFailure: with {@code restartPolicy: OnFailure} a failing container is restarted in
     * place and its pod never fails, so the restarts of the pods still running or pending (init and regular
     * containers) count toward the backoff limit instead; with limit 0 one restart is too many.
     */
    static boolean pastBackoffLimitOnFailure(Job job, List<Pod> pods, int backoffLimit) {
        var template = job.getSpec().getTemplate();
        if (template == null || template.getSpec() == null || !"OnFailure".equals(template.getSpec().getRestartPolicy())) {
            return false;
        }
        long restarts = 0;
        for (Pod p : pods) {
            String phase = Pods.phase(p);
            if (p.getStatus() == null || !("Running".equals(phase) || "Pending".equals(phase))) {
                continue;
            }
            for (var statuses : List.of(nz(p.getStatus().getInitContainerStatuses()), nz(p.getStatus().getContainerStatuses()))) {
                for (var c : statuses) {
                    restarts += c.getRestartCount() == null ? 0 : c.getRestartCount();
                }
            }
        }
        return backoffLimit == 0 ? restarts > 0 : restarts >= backoffLimit;
    }

    /** Creates or deletes pods so that the right number (or the right indexes) run. */
    private void manage(Job job, String key, List<Pod> active, List<Pod> owned, TreeSet<Integer> completed, int succeeded, Instant now) {
        int parallelism = job.getSpec().getParallelism() == null ? 1 : job.getSpec().getParallelism();
        Integer completionsSpec = job.getSpec().getCompletions();
        boolean indexed = "Indexed".equals(job.getSpec().getCompletionMode());
        int want;
        if (completionsSpec == null) {
            want = succeeded > 0 ? 0 : parallelism;
        } else {
            int remaining = indexed ? completionsSpec - completed.size() : completionsSpec - succeeded;
            want = Math.max(0, Math.min(parallelism, remaining));
        }
        List<Pod> excess = new ArrayList<>();
        List<Integer> toCreate = new ArrayList<>();
        if (indexed) {
            Map<Integer, Pod> byIndex = new HashMap<>();
            // newest last: keep the oldest pod of a duplicated index, drop invalid or completed indexes
            for (Pod p : active.stream().sorted(Comparator.comparing(p -> p.getMetadata().getCreationTimestamp())).toList()) {
                int idx = index(p, completionsSpec);
                if (idx < 0 || completed.contains(idx) || byIndex.containsKey(idx)) {
                    excess.add(p);
                } else {
                    byIndex.put(idx, p);
                }
            }
            int running = byIndex.size();
            if (running > want) {
                byIndex.entrySet().stream().sorted(Map.Entry.<Integer, Pod>comparingByKey().reversed()).limit(running - want)
                        .forEach(e -> excess.add(e.getValue()));
            }
            for (int i = 0; i < completionsSpec && toCreate.size() < want - running; i++) {
                if (!completed.contains(i) && !byIndex.containsKey(i)) {
                    toCreate.add(i);
                }
            }
        } else {
            if (active.size() > want) {
                // upstream prefers to delete pods that are not ready, then the newest
                active.stream().sorted(Comparator.comparing(Pods::ready).thenComparing((Pod p) -> p.getMetadata().getCreationTimestamp(),
                        Comparator.reverseOrder())).limit(active.size() - want).forEach(excess::add);
            }
            for (int i = active.size(); i < want; i++) {
                toCreate.add(-1);
            }
        }
        if (!excess.isEmpty()) {
            deletePods(job, key, excess, excess.size());
            active.removeAll(excess);
        }
        if (toCreate.isEmpty()) {
            return;
        }
        if (indexed && job.getSpec().getBackoffLimitPerIndex() != null) {
            // upstream: each index waits out its own backoff; an index that never failed starts at once
            long soonest = Long.MAX_VALUE;
            for (var it = toCreate.iterator(); it.hasNext(); ) {
                long wait = indexBackoffRemaining(job, owned, it.next(), now);
                if (wait > 0) {
                    soonest = Math.min(soonest, wait);
                    it.remove();
                }
            }
            if (soonest != Long.MAX_VALUE) {
                queue.addAfter(key, soonest);
            }
        } else {
            long wait = backoffRemaining(job, now);
            if (wait > 0) {
                queue.addAfter(key, wait);
                return;
            }
        }
        // slow start: 1, 2, 4, ... stopping at the first failure
        int done = 0;
        int batch = 1;
        while (done < toCreate.size() && done < MAX_BATCH) {
            for (int i = 0; i < batch && done < toCreate.size(); i++, done++) {
                Pod created = create(job, key, toCreate.get(done), owned);
                active.add(created);
            }
            batch *= 2;
        }
    }

    private Pod create(Job job, String key, int index, List<Pod> owned) {
        String name = job.getMetadata().getName();
        Map<String, String> extra = new HashMap<>();
        Pod pod = PodControl.fromTemplate(job.getSpec().getTemplate(), job, index < 0 ? name + "-" : name + "-" + index + "-", null, extra);
        List<String> finalizers = new ArrayList<>(nz(pod.getMetadata().getFinalizers()));
        finalizers.add(TRACKING_FINALIZER);
        pod.getMetadata().setFinalizers(finalizers);
        if (index >= 0) {
            pod.getMetadata().getAnnotations().put(COMPLETION_INDEX, String.valueOf(index));
            pod.getMetadata().getLabels().put(COMPLETION_INDEX, String.valueOf(index));
            if (job.getSpec().getBackoffLimitPerIndex() != null) {
                pod.getMetadata().getAnnotations().put(INDEX_FAILURE_COUNT, String.valueOf(failuresOfIndex(job, owned, index)));
            }
            pod.setSpec(ctx.client().getKubernetesSerialization().clone(pod.getSpec()));
            if (pod.getSpec().getHostname() == null || pod.getSpec().getHostname().isEmpty()) {
                pod.getSpec().setHostname(name + "-" + index);
            }
            EnvVar env = new EnvVarBuilder().withName("JOB_COMPLETION_INDEX").withNewValueFrom().withNewFieldRef()
                    .withFieldPath("metadata.labels['" + COMPLETION_INDEX + "']").endFieldRef().endValueFrom().build();
            pod.getSpec().getContainers().forEach(c -> addEnv(c.getEnv(), env, c::setEnv));
            if (pod.getSpec().getInitContainers() != null) {
                pod.getSpec().getInitContainers().forEach(c -> addEnv(c.getEnv(), env, c::setEnv));
            }
        }
        Pod created = podControl.create(job, pod);
        creations.expect(key, created.getMetadata().getName());
        return created;
    }

    private static void addEnv(List<EnvVar> env, EnvVar v, java.util.function.Consumer<List<EnvVar>> set) {
        List<EnvVar> out = new ArrayList<>(env == null ? List.of() : env);
        if (out.stream().noneMatch(e -> e.getName().equals(v.getName()))) {
            out.add(v);
        }
        set.accept(out);
    }

    private void deletePods(Job job, String key, List<Pod> victims, int n) {
        for (Pod p : victims.subList(0, Math.min(n, victims.size()))) {
            deletions.expect(key, p.getMetadata().getName());
            try {
                podControl.delete(job, p.getMetadata().getNamespace(), p.getMetadata().getName());
            } catch (RuntimeException e) {
                deletions.observed(key, p.getMetadata().getName());
                throw e;
            }
        }
    }

    private void setSuspended(Job job, List<JobCondition> conds, boolean suspended, String ts) {
        JobCondition c = condition(conds, "Suspended");
        String status = suspended ? "True" : "False";
        if (c != null && status.equals(c.getStatus())) {
            return;
        }
        if (c == null && !suspended) {
            return;
        }
        conds.remove(c);
        conds.add(cond("Suspended", suspended ? "JobSuspended" : "JobResumed", suspended ? "Job suspended" : "Job resumed", ts));
        conds.get(conds.size() - 1).setStatus(status);
        ctx.events().normal(job, suspended ? "Suspended" : "Resumed", suspended ? "Job suspended" : "Job resumed");
    }

    /** upstream's isPodFailed with podReplacementPolicy TerminatingOrFailed: a deleted unfinished pod counts as failed. */
    private static boolean podFailed(Pod p, Job job) {
        if (Pods.failed(p)) {
            return true;
        }
        if ("Failed".equals(job.getSpec().getPodReplacementPolicy())) {
            return false;
        }
        return Pods.terminating(p) && !Pods.succeeded(p);
    }

    private void recordBackoff(Job job, int successes, int failures, Instant now) {
        String uid = job.getMetadata().getUid();
        Backoff b = backoffs.getOrDefault(uid, new Backoff(0, null));
        if (successes > 0) {
            b = new Backoff(0, b.lastFailure());
        }
        if (failures > 0) {
            b = new Backoff(b.failuresAfterLastSuccess() + failures, now);
        }
        backoffs.put(uid, b);
    }

    /** Milliseconds until a replacement may be created: base × 2^(failures−1), capped. */
    private long backoffRemaining(Job job, Instant now) {
        Backoff b = backoffs.get(job.getMetadata().getUid());
        if (b == null || b.failuresAfterLastSuccess() == 0 || b.lastFailure() == null) {
            return 0;
        }
        return delayRemaining(b.failuresAfterLastSuccess(), b.lastFailure(), now);
    }

    /** The same for one index of a Job with backoffLimitPerIndex, from that index's failures alone. */
    private long indexBackoffRemaining(Job job, List<Pod> owned, int index, Instant now) {
        Instant last = indexFailedAt.getOrDefault(job.getMetadata().getUid(), Map.of()).get(index);
        int failures = failuresOfIndex(job, owned, index);
        return last == null || failures == 0 ? 0 : delayRemaining(failures, last, now);
    }

    private long delayRemaining(int failures, Instant lastFailure, Instant now) {
        long base = ctx.options().jobPodFailureBackoff().toMillis();
        long max = ctx.options().jobPodFailureBackoffMax().toMillis();
        long delay = base;
        for (int i = 1; i < failures && delay < max; i++) {
            delay *= 2;
        }
        delay = Math.min(delay, max);
        return Duration.between(now, lastFailure.plusMillis(delay)).toMillis();
    }

    private void removeFinalizer(Pod p) {
        if (!Pods.hasFinalizer(p, TRACKING_FINALIZER) || finalizerRemoved.contains(p.getMetadata().getUid())) {
            return;
        }
        List<String> rest = new ArrayList<>(p.getMetadata().getFinalizers());
        rest.remove(TRACKING_FINALIZER);
        // a JSON patch guarded by a test of the list, so a concurrent finalizer change is never lost
        String patch = "[{\"op\":\"test\",\"path\":\"/metadata/finalizers\",\"value\":" + json(p.getMetadata().getFinalizers())
                + "},{\"op\":\"replace\",\"path\":\"/metadata/finalizers\",\"value\":" + json(rest) + "}]";
        try {
            DirectRequests.patch(ctx.client(),
                    ctx.client().pods().inNamespace(p.getMetadata().getNamespace()).withName(p.getMetadata().getName()),
                    PatchType.JSON, patch, null);
            finalizerRemoved.add(p.getMetadata().getUid());
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404) {
                throw e;
            }
        }
    }

    private String json(Object o) {
        return ctx.client().getKubernetesSerialization().asJson(o);
    }

    /** Writes {@code status} with the job's resourceVersion; null when the job is gone. Conflicts throw (retry from a fresh cache). */
    private Job writeStatus(Job job, JobStatus status) {
        Job copy = ctx.client().getKubernetesSerialization().clone(job);
        copy.setStatus(status);
        try {
            return ctx.client().resources(Job.class).inNamespace(job.getMetadata().getNamespace()).resource(copy).updateStatus();
        } catch (KubernetesClientException e) {
            if (e.getCode() == 404) {
                return null;
            }
            throw e;
        }
    }

    static boolean finished(JobStatus st) {
        return st.getConditions() != null && st.getConditions().stream()
                .anyMatch(c -> ("Complete".equals(c.getType()) || "Failed".equals(c.getType())) && "True".equals(c.getStatus()));
    }

    private static JobCondition condition(List<JobCondition> conds, String type) {
        return conds.stream().filter(c -> type.equals(c.getType())).findFirst().orElse(null);
    }

    private static JobCondition cond(String type, String reason, String message, String ts) {
        return new JobConditionBuilder().withType(type).withStatus("True").withReason(reason).withMessage(message)
                .withLastProbeTime(ts).withLastTransitionTime(ts).build();
    }

    /** The completion index of a pod (annotation, else label), or −1 when missing or out of range. */
    static int index(Pod p, Integer completions) {
        String v = p.getMetadata().getAnnotations() == null ? null : p.getMetadata().getAnnotations().get(COMPLETION_INDEX);
        if (v == null && p.getMetadata().getLabels() != null) {
            v = p.getMetadata().getLabels().get(COMPLETION_INDEX);
        }
        try {
            int i = Integer.parseInt(v);
            return i >= 0 && (completions == null || i < completions) ? i : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** {@code "1,3-5"} → {1,3,4,5}, ignoring what is out of range. */
    static TreeSet<Integer> parseIndexes(String s, int completions) {
        TreeSet<Integer> out = new TreeSet<>();
        if (s == null || s.isEmpty()) {
            return out;
        }
        for (String part : s.split(",")) {
            try {
                int dash = part.indexOf('-');
                int from = Integer.parseInt(dash < 0 ? part : part.substring(0, dash));
                int to = dash < 0 ? from : Integer.parseInt(part.substring(dash + 1));
                for (int i = from; i <= to && (completions < 0 || i < completions); i++) {
                    out.add(i);
                }
            } catch (NumberFormatException e) {
                // upstream skips what does not parse
            }
        }
        return out;
    }

    /** {0,1,2,5,7,8} → {@code "0-2,5,7,8"}, upstream's compressed form; null when empty. */
    static String formatIndexes(TreeSet<Integer> s) {
        if (s.isEmpty()) {
            return null;
        }
        StringBuilder b = new StringBuilder();
        Integer start = null;
        Integer prev = null;
        for (int i : s) {
            if (prev != null && i == prev + 1) {
                prev = i;
                continue;
            }
            if (start != null) {
                append(b, start, prev);
            }
            start = i;
            prev = i;
        }
        append(b, start, prev);
        return b.toString();
    }

    private static void append(StringBuilder b, int from, int to) {
        if (b.length() > 0) {
            b.append(',');
        }
        b.append(from);
        if (to > from) {
            b.append(to == from + 1 ? ',' : '-').append(to); // upstream writes a pair as "0,1", not "0-1"
        }
    }

    private static <T> List<T> nz(List<T> l) {
        return l == null ? List.of() : l;
    }

    private static int nz(Integer i) {
        return i == null ? 0 : i;
    }

    private static List<String> concat(List<String> a, List<String> b) {
        LinkedHashSet<String> s = new LinkedHashSet<>(a);
        s.addAll(b);
        return new ArrayList<>(s);
    }
}
