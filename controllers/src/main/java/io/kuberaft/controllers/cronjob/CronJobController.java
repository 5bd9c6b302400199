package io.kuberaft.controllers.cronjob;

import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.batch.v1.CronJobStatus;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.kuberaft.controllers.runtime.Controller;
import io.kuberaft.controllers.runtime.ControllerContext;
import io.kuberaft.controllers.runtime.ControllerRefs;
import io.kuberaft.controllers.runtime.Keys;
import io.kuberaft.controllers.runtime.WorkQueue;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The CronJob controller, as upstream 1.32's (cronjob_controllerv2): at each scheduled time a Job named
 * {@code <cronjob>-<scheduled minutes since the epoch>} from the job template, annotated with
 * {@code batch.kubernetes.io/cronjob-scheduled-timestamp}; concurrencyPolicy Allow / Forbid / Replace,
 * startingDeadlineSeconds, suspend, timeZone, history limits, and the status (active, lastScheduleTime,
 * lastSuccessfulTime) with upstream's events. Times come from the context's clock; the queue wakes the
 * cron job at its next scheduled time.
 */
public final class CronJobController implements Controller {
    public static final String SCHEDULED_TIMESTAMP = "batch.kubernetes.io/cronjob-scheduled-timestamp";
    static final String OWNER_INDEX = "job-by-cronjob";
    /** Past this many missed start times upstream warns (and still starts the most recent one). */
    private static final int TOO_MANY_MISSED = 100;
    private static final DateTimeFormatter RFC1123Z = DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss Z", Locale.ROOT);

    private ControllerContext ctx;
    private WorkQueue queue;
    private SharedIndexInformer<CronJob> cronJobs;
    private SharedIndexInformer<Job> jobs;
    /** Jobs this controller deleted: a stale cache still showing one must not bring it back as unexpected. */
    private final java.util.Set<String> deletedUids = java.util.concurrent.ConcurrentHashMap.newKeySet();

    @Override
    public String name() {
        return "cronjob-controller";
    }

    @Override
    public void register(ControllerContext ctx, WorkQueue queue) {
        this.ctx = ctx;
        this.queue = queue;
        this.cronJobs = ctx.informers().of(CronJob.class);
        this.jobs = ctx.informers().of(Job.class);
        ctx.informers().index(Job.class, OWNER_INDEX, j -> owner(j).map(n -> List.of(Keys.of(j.getMetadata().getNamespace(), n)))
                .orElse(List.of()));
        cronJobs.addEventHandler(Keys.enqueue(queue));
        jobs.addEventHandler(Keys.on(j -> owner(j).ifPresent(n -> queue.add(Keys.of(j.getMetadata().getNamespace(), n)))));
    }

    private static java.util.Optional<String> owner(Job j) {
        return ControllerRefs.controllerOf(j).filter(r -> "CronJob".equals(r.getKind())).map(r -> r.getName());
    }

    @Override
    public void reconcile(String key) {
        CronJob cj = cronJobs.getStore().getByKey(key);
        if (cj == null || cj.getMetadata().getDeletionTimestamp() != null) {
            return;
        }
        String ns = cj.getMetadata().getNamespace();
        List<Job> owned = jobs.getIndexer().byIndex(OWNER_INDEX, key).stream()
                .filter(j -> ControllerRefs.isControlledBy(j, cj)).toList();
        Instant now = ctx.clock().instant();
        CronJobStatus old = cj.getStatus() == null ? new CronJobStatus() : cj.getStatus();
        CronJobStatus st = ctx.client().getKubernetesSerialization().clone(old);
        List<ObjectReference> active = new ArrayList<>(st.getActive() == null ? List.of() : st.getActive());

        // 1. the active list follows the jobs: finished ones leave it (SawCompletedJob), unknown running ones join it
        Map<String, Job> byName = new HashMap<>();
        owned.forEach(j -> byName.put(j.getMetadata().getName(), j));
        for (Job j : owned) {
            boolean listed = active.stream().anyMatch(r -> Objects.equals(r.getUid(), j.getMetadata().getUid()));
            String finished = finishedType(j);
            if (!listed && finished == null && !deletedUids.contains(j.getMetadata().getUid())
                    && j.getMetadata().getDeletionTimestamp() == null) {
                ctx.events().warning(cj, "UnexpectedJob", "Saw a job that the controller did not create or forgot: " + j.getMetadata().getName());
                // A job we created for a scheduled time but never recorded (the leader died between the create and
                // the status write) is ours: listing it keeps Forbid/Replace right across a failover. Upstream lists
                // no unexpected job at all, so one made by hand (`kubectl create job --from=cronjob/x`) stays out.
                if (j.getMetadata().getAnnotations() != null && j.getMetadata().getAnnotations().containsKey(SCHEDULED_TIMESTAMP)) {
                    active.add(ref(j));
                }
            } else if (listed && finished != null) {
                active.removeIf(r -> Objects.equals(r.getUid(), j.getMetadata().getUid()));
                ctx.events().normal(cj, "SawCompletedJob", "Saw completed job: " + j.getMetadata().getName() + ", condition: " + finished);
                if ("Complete".equals(finished) && j.getStatus().getCompletionTime() != null
                        && (st.getLastSuccessfulTime() == null
                        || Instant.parse(j.getStatus().getCompletionTime()).isAfter(Instant.parse(st.getLastSuccessfulTime())))) {
                    st.setLastSuccessfulTime(j.getStatus().getCompletionTime());
                }
            }
        }
        // a listed job that is gone (and not just too new for our cache) leaves the list
        active.removeIf(r -> {
            if (byName.containsKey(r.getName())) {
                return false;
            }
            boolean gone = ctx.client().resources(Job.class).inNamespace(ns).withName(r.getName()).get() == null;
            if (gone) {
                ctx.events().normal(cj, "MissingJob", "Active job went missing: " + r.getName());
            }
            return gone;
        });
        st.setActive(active.isEmpty() ? null : active);
        cleanupHistory(cj, owned);

        try {
            schedule(cj, key, st, active, now);
        } finally {
            if (!Objects.equals(nullIfEmpty(old), nullIfEmpty(st))) {
                CronJob copy = ctx.client().getKubernetesSerialization().clone(cj);
                copy.setStatus(st);
                try {
                    ctx.client().resources(CronJob.class).inNamespace(ns).resource(copy).updateStatus();
                } catch (KubernetesClientException e) {
                    if (e.getCode() != 404) {
                        throw e;
                    }
                }
            }
        }
    }

    /** Starts the job of the most recent missed scheduled time, if policy allows, and wakes at the next one. */
    private void schedule(CronJob cj, String key, CronJobStatus st, List<ObjectReference> active, Instant now) {
        ZoneId zone = ZoneOffset.UTC;
        if (cj.getSpec().getTimeZone() != null && !cj.getSpec().getTimeZone().isEmpty()) {
            try {
                zone = ZoneId.of(cj.getSpec().getTimeZone());
            } catch (RuntimeException e) {
                ctx.events().warning(cj, "UnknownTimeZone", "invalid timeZone: \"" + cj.getSpec().getTimeZone() + "\": " + e.getMessage());
                return;
            }
        }
        if (Boolean.TRUE.equals(cj.getSpec().getSuspend())) {
            return;
        }
        CronSchedule sched;
        try {
            sched = CronSchedule.parse(cj.getSpec().getSchedule());
        } catch (IllegalArgumentException e) {
            ctx.events().warning(cj, "UnparseableSchedule", "unparseable schedule: \"" + cj.getSpec().getSchedule() + "\" : " + e.getMessage());
            return;
        }
        Long sds = cj.getSpec().getStartingDeadlineSeconds();
        Instant earliest = st.getLastScheduleTime() != null ? Instant.parse(st.getLastScheduleTime())
                : Instant.parse(cj.getMetadata().getCreationTimestamp());
        if (sds != null && earliest.isBefore(now.minusSeconds(sds))) {
            earliest = now.minusSeconds(sds);
        }
        // the most recent scheduled time in (earliest, now], counting the ones missed
        Instant scheduled = null;
        int missed = 0;
        for (Instant t = sched.next(earliest, zone); t != null && !t.isAfter(now); t = sched.next(t, zone)) {
            scheduled = t;
            missed++;
            if (missed > 1_000_000) {
                break;
            }
        }
        if (missed > TOO_MANY_MISSED) {
            ctx.events().warning(cj, "TooManyMissedTimes", "too many missed start times: " + missed
                    + ". Set or decrease .spec.startingDeadlineSeconds or check clock skew");
        }
        requeueAtNext(key, sched, zone, now);
        if (scheduled == null) {
            return;
        }
        if (sds != null && scheduled.plusSeconds(sds).isBefore(now)) {
            ctx.events().warning(cj, "MissSchedule", "Missed scheduled time to start a job: "
                    + RFC1123Z.format(scheduled.atOffset(ZoneOffset.UTC)));
            return;
        }
        String jobName = cj.getMetadata().getName() + "-" + scheduled.getEpochSecond() / 60;
        if (active.stream().anyMatch(r -> jobName.equals(r.getName()))) {
            return;
        }
        String policy = cj.getSpec().getConcurrencyPolicy() == null ? "Allow" : cj.getSpec().getConcurrencyPolicy();
        if ("Forbid".equals(policy) && !active.isEmpty()) {
            ctx.events().normal(cj, "JobAlreadyActive", "Not starting job because prior execution is running and concurrency policy is Forbid");
            return;
        }
        if ("Replace".equals(policy)) {
            for (ObjectReference r : List.copyOf(active)) {
                if (r.getUid() != null) {
                    deletedUids.add(r.getUid());
                }
                deleteJob(cj, r.getName());
                active.remove(r);
            }
            st.setActive(active.isEmpty() ? null : active);
        }
        Job job = jobFor(cj, jobName, scheduled, zone);
        Job created;
        try {
            created = ctx.client().resources(Job.class).inNamespace(cj.getMetadata().getNamespace()).resource(job).create();
            ctx.events().normal(cj, "SuccessfulCreate", "Created job " + jobName);
        } catch (KubernetesClientException e) {
            if (e.getCode() == 409) {
                // created before (our cache is behind, or a previous term made it): it is the job of this time
                created = ctx.client().resources(Job.class).inNamespace(cj.getMetadata().getNamespace()).withName(jobName).get();
                if (created == null || !ControllerRefs.isControlledBy(created, cj)) {
                    return;
                }
                if (finishedType(created) != null) {
                    st.setLastScheduleTime(scheduled.toString());
                    return;
                }
            } else {
                ctx.events().warning(cj, "FailedCreate", "Error creating job: " + e.getMessage());
                throw e;
            }
        }
        Job c = created;
        if (active.stream().noneMatch(r -> Objects.equals(r.getUid(), c.getMetadata().getUid()))) {
            active.add(ref(created));
        }
        st.setActive(active);
        st.setLastScheduleTime(scheduled.toString());
    }

    private void requeueAtNext(String key, CronSchedule sched, ZoneId zone, Instant now) {
        Instant next = sched.next(now, zone);
        if (next != null) {
            queue.addAfter(key, Duration.between(now, next).toMillis() + 100);
        }
    }

    private Job jobFor(CronJob cj, String name, Instant scheduled, ZoneId zone) {
        var tmpl = cj.getSpec().getJobTemplate();
        Map<String, String> labels = new HashMap<>(tmpl.getMetadata() == null || tmpl.getMetadata().getLabels() == null
                ? Map.of() : tmpl.getMetadata().getLabels());
        Map<String, String> annotations = new HashMap<>(tmpl.getMetadata() == null || tmpl.getMetadata().getAnnotations() == null
                ? Map.of() : tmpl.getMetadata().getAnnotations());
        annotations.put(SCHEDULED_TIMESTAMP, DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(scheduled.atZone(zone).toOffsetDateTime()
                .truncatedTo(ChronoUnit.SECONDS)).replace("+00:00", "Z"));
        return new JobBuilder().withNewMetadata().withName(name).withNamespace(cj.getMetadata().getNamespace())
                .withLabels(labels).withAnnotations(annotations).addToOwnerReferences(ControllerRefs.controllerRef(cj)).endMetadata()
                .withSpec(ctx.client().getKubernetesSerialization().clone(tmpl.getSpec())).build();
    }

    /** Deletes the oldest finished jobs beyond successfulJobsHistoryLimit / failedJobsHistoryLimit. */
    private void cleanupHistory(CronJob cj, List<Job> owned) {
        prune(cj, owned, "Complete", cj.getSpec().getSuccessfulJobsHistoryLimit());
        prune(cj, owned, "Failed", cj.getSpec().getFailedJobsHistoryLimit());
    }

    private void prune(CronJob cj, List<Job> owned, String type, Integer limit) {
        if (limit == null) {
            return;
        }
        List<Job> finished = owned.stream().filter(j -> type.equals(finishedType(j)) && j.getMetadata().getDeletionTimestamp() == null)
                .sorted(Comparator.comparing((Job j) -> j.getStatus().getStartTime() == null ? "" : j.getStatus().getStartTime())
                        .thenComparing(j -> j.getMetadata().getName()))
                .toList();
        for (int i = 0; i < finished.size() - limit; i++) {
            deletedUids.add(finished.get(i).getMetadata().getUid());
            deleteJob(cj, finished.get(i).getMetadata().getName());
        }
    }

    private void deleteJob(CronJob cj, String name) {
        try {
            ctx.client().resources(Job.class).inNamespace(cj.getMetadata().getNamespace()).withName(name)
                    .withPropagationPolicy(DeletionPropagation.BACKGROUND).delete();
            ctx.events().normal(cj, "SuccessfulDelete", "Deleted job " + name);
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404) {
                ctx.events().warning(cj, "FailedDelete", "Deleted job: " + e.getMessage());
                throw e;
            }
        }
    }

    /** "Complete" or "Failed" when the job finished, else null. */
    static String finishedType(Job j) {
        if (j.getStatus() == null || j.getStatus().getConditions() == null) {
            return null;
        }
        for (JobCondition c : j.getStatus().getConditions()) {
            if (("Complete".equals(c.getType()) || "Failed".equals(c.getType())) && "True".equals(c.getStatus())) {
                return c.getType();
            }
        }
        return null;
    }

    private static ObjectReference ref(Job j) {
        return new ObjectReferenceBuilder().withApiVersion("batch/v1").withKind("Job").withName(j.getMetadata().getName())
                .withNamespace(j.getMetadata().getNamespace()).withUid(j.getMetadata().getUid())
                .withResourceVersion(j.getMetadata().getResourceVersion()).build();
    }

    private static CronJobStatus nullIfEmpty(CronJobStatus s) {
        CronJobStatus c = new CronJobStatus(s.getActive() == null || s.getActive().isEmpty() ? null : s.getActive(),
                s.getLastScheduleTime(), s.getLastSuccessfulTime());
        return c;
    }
}
