package io.kuberaft.controllers.job;

import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.kuberaft.controllers.runtime.Controller;
import io.kuberaft.controllers.runtime.ControllerContext;
import io.kuberaft.controllers.runtime.Keys;
import io.kuberaft.controllers.runtime.WorkQueue;

import java.time.Duration;
import java.time.Instant;

/**
 * upstream's ttl-after-finished controller: a finished Job with {@code ttlSecondsAfterFinished} is deleted
 * (background propagation) that many seconds after its Complete or Failed condition.
 */
public final class TtlAfterFinishedController implements Controller {
    private ControllerContext ctx;
    private WorkQueue queue;
    private SharedIndexInformer<Job> jobs;

    @Override
    public String name() {
        return "ttl-after-finished-controller";
    }

    @Override
    public void register(ControllerContext ctx, WorkQueue queue) {
        this.ctx = ctx;
        this.queue = queue;
        this.jobs = ctx.informers().of(Job.class);
        jobs.addEventHandler(Keys.on(j -> {
            if (j.getSpec() != null && j.getSpec().getTtlSecondsAfterFinished() != null && j.getMetadata().getDeletionTimestamp() == null
                    && j.getStatus() != null && JobController.finished(j.getStatus())) {
                queue.add(Keys.of(j));
            }
        }));
    }

    @Override
    public void reconcile(String key) {
        Job job = jobs.getStore().getByKey(key);
        if (job == null || job.getMetadata().getDeletionTimestamp() != null || job.getSpec().getTtlSecondsAfterFinished() == null
                || job.getStatus() == null || !JobController.finished(job.getStatus())) {
            return;
        }
        Instant finishedAt = finishTime(job);
        if (finishedAt == null) {
            return;
        }
        Instant expireAt = finishedAt.plusSeconds(job.getSpec().getTtlSecondsAfterFinished());
        Instant now = ctx.clock().instant();
        if (now.isBefore(expireAt)) {
            queue.addAfter(key, Duration.between(now, expireAt).toMillis() + 10);
            return;
        }
        try {
            ctx.client().resources(Job.class).inNamespace(job.getMetadata().getNamespace()).withName(job.getMetadata().getName())
                    .withPropagationPolicy(DeletionPropagation.BACKGROUND).delete();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404 && e.getCode() != 409) {
                throw e;
            }
        }
    }

    private static Instant finishTime(Job job) {
        for (JobCondition c : job.getStatus().getConditions()) {
            if (("Complete".equals(c.getType()) || "Failed".equals(c.getType())) && "True".equals(c.getStatus())
                    && c.getLastTransitionTime() != null) {
                return Instant.parse(c.getLastTransitionTime());
            }
        }
        return null;
    }
}
