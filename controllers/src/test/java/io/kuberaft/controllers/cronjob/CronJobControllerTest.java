package io.kuberaft.controllers.cronjob;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.batch.v1.CronJobBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.kuberaft.controllers.ApiFixture;
import io.kuberaft.controllers.ControllerOptions;
import io.kuberaft.controllers.OffsetClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

import static io.kuberaft.controllers.ApiFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The controller runs on an {@link OffsetClock}: the test puts it just past a minute boundary and pokes
 * the cron job (a label change) instead of waiting for the minute.
 */
class CronJobControllerTest {
    @TempDir
    Path tmp;
    ApiFixture api;
    KubernetesClient k;
    final OffsetClock clock = new OffsetClock();
    /** The first minute boundary the cron jobs will see (well after their creation time). */
    Instant b1;
    int pokes;

    @BeforeEach
    void start() {
        api = new ApiFixture(tmp, ControllerOptions.defaults(), clock, List.of(CronJobController::new));
        k = api.client();
        // b1 is the next minute boundary and at least 10 s of real time away, so the cron jobs the test creates now
        // (creation times come from the API server's real clock) are older than it and no other scheduled time lies
        // between their creation and b1 (one did when b1 was the boundary after next: the controller, its clock 1 s
        // before b1, then started that time's job, and with Forbid never b1's). The controller's clock stands 1 s before b1.
        Instant next = Instant.now().truncatedTo(ChronoUnit.MINUTES).plusSeconds(60);
        if (Duration.between(Instant.now(), next).toSeconds() < 10) {
            await(Duration.ofSeconds(15), "the next minute", () -> Instant.now().isAfter(next));
        }
        b1 = Instant.now().truncatedTo(ChronoUnit.MINUTES).plusSeconds(60);
        clock.set(b1.minusSeconds(1));
    }

    @AfterEach
    void stop() {
        api.close();
    }

    CronJob cron(String name, String policy) {
        return new CronJobBuilder().withNewMetadata().withName(name).endMetadata().withNewSpec()
                .withSchedule("* * * * *").withConcurrencyPolicy(policy)
                .withNewJobTemplate().withNewMetadata().addToLabels("team", "a").endMetadata().withNewSpec()
                .withNewTemplate().withNewSpec().withRestartPolicy("OnFailure")
                .addNewContainer().withName("c").withImage("busybox").endContainer().endSpec().endTemplate()
                .endSpec().endJobTemplate().endSpec().build();
    }

    void create(CronJob cj) {
        k.resources(CronJob.class).inNamespace("default").resource(cj).create();
    }

    /** Moves the controller's clock to {@code t} and makes it look now. */
    void at(String name, Instant t) {
        clock.set(t);
        int n = ++pokes;
        k.resources(CronJob.class).inNamespace("default").withName(name)
                .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"metadata\":{\"labels\":{\"poke\":\"" + n + "\"}}}");
    }

    List<Job> jobs() {
        return k.resources(Job.class).inNamespace("default").list().getItems().stream()
                .filter(j -> j.getMetadata().getDeletionTimestamp() == null).toList();
    }

    List<String> jobNames() {
        return jobs().stream().map(j -> j.getMetadata().getName()).sorted().toList();
    }

    CronJob get(String name) {
        return k.resources(CronJob.class).inNamespace("default").withName(name).get();
    }

    static String jobName(String cron, Instant t) {
        return cron + "-" + t.getEpochSecond() / 60;
    }

    void complete(String job, Instant at) {
        k.resources(Job.class).inNamespace("default").withName(job).subresource("status").patch(PatchContext.of(PatchType.JSON_MERGE),
                "{\"status\":{\"startTime\":\"" + at + "\",\"completionTime\":\"" + at.plusSeconds(5) + "\",\"succeeded\":1,"
                        + "\"conditions\":[{\"type\":\"SuccessCriteriaMet\",\"status\":\"True\",\"reason\":\"CompletionsReached\"},"
                        + "{\"type\":\"Complete\",\"status\":\"True\",\"reason\":\"CompletionsReached\"}]}}");
    }

    boolean event(String reason, String message) {
        List<Event> events = k.v1().events().inNamespace("default").list().getItems();
        return events.stream().anyMatch(e -> e.getReason().equals(reason) && (message == null || e.getMessage().equals(message)));
    }

    @Test
    void createsAJobAtEveryScheduledMinuteNamedByTheMinute() {
        create(cron("every", "Allow"));
        // the queue wakes the cron job at the next minute by itself (1 s from the clock's "now")
        String first = jobName("every", b1);
        await(Duration.ofSeconds(15), "job " + first, () -> jobNames().contains(first));
        Job j = k.resources(Job.class).inNamespace("default").withName(first).get();
        assertThat(j.getMetadata().getAnnotations()).containsEntry(CronJobController.SCHEDULED_TIMESTAMP, b1.toString());
        assertThat(j.getMetadata().getLabels()).containsEntry("team", "a");
        assertThat(j.getMetadata().getOwnerReferences().get(0).getKind()).isEqualTo("CronJob");
        assertThat(j.getMetadata().getOwnerReferences().get(0).getController()).isTrue();
        await(Duration.ofSeconds(10), "status", () -> {
            CronJob c = get("every");
            return c.getStatus() != null && b1.toString().equals(c.getStatus().getLastScheduleTime())
                    && c.getStatus().getActive() != null && c.getStatus().getActive().size() == 1
                    && c.getStatus().getActive().get(0).getName().equals(first);
        });
        await(Duration.ofSeconds(10), "SuccessfulCreate event", () -> event("SuccessfulCreate", "Created job " + first));

        Instant b2 = b1.plusSeconds(60);
        at("every", b2.plusMillis(200));
        await(Duration.ofSeconds(15), "second job", () -> jobNames().contains(jobName("every", b2)));
        assertThat(jobNames()).containsExactly(first, jobName("every", b2));
        await(Duration.ofSeconds(10), "2 active", () -> get("every").getStatus().getActive().size() == 2);
        // nothing more within the same minute
        at("every", b2.plusSeconds(30));
        sleepQuietly(500);
        assertThat(jobNames()).hasSize(2);
    }

    @Test
    void forbidSkipsWhileAJobRunsThenCatchesUp() {
        create(cron("forbid", "Forbid"));
        String first = jobName("forbid", b1);
        await(Duration.ofSeconds(45), "first job", () -> jobNames().contains(first));
        Instant b2 = b1.plusSeconds(60);
        at("forbid", b2.plusMillis(200));
        await(Duration.ofSeconds(10), "JobAlreadyActive", () -> event("JobAlreadyActive",
                "Not starting job because prior execution is running and concurrency policy is Forbid"));
        assertThat(jobNames()).containsExactly(first);
        complete(first, b1);
        await(Duration.ofSeconds(10), "SawCompletedJob", () -> event("SawCompletedJob", "Saw completed job: " + first + ", condition: Complete"));
        // the missed time of b2 is still the most recent one, and nothing runs now: it starts
        await(Duration.ofSeconds(10), "b2's job", () -> jobNames().contains(jobName("forbid", b2)));
        await(Duration.ofSeconds(10), "lastSuccessfulTime", () -> b1.plusSeconds(5).toString().equals(get("forbid").getStatus().getLastSuccessfulTime()));
    }

    @Test
    void replaceDeletesTheRunningJob() {
        create(cron("replace", "Replace"));
        String first = jobName("replace", b1);
        await(Duration.ofSeconds(45), "first job", () -> jobNames().contains(first));
        Instant b2 = b1.plusSeconds(60);
        at("replace", b2.plusMillis(200));
        await(Duration.ofSeconds(10), "replaced", () -> jobNames().equals(List.of(jobName("replace", b2))));
        await(Duration.ofSeconds(10), "SuccessfulDelete", () -> event("SuccessfulDelete", "Deleted job " + first));
        await(Duration.ofSeconds(10), "only b2's job active", () -> {
            var active = get("replace").getStatus().getActive();
            return active != null && active.size() == 1 && active.get(0).getName().equals(jobName("replace", b2));
        });
    }

    @Test
    void historyLimitsKeepTheNewestFinishedJobs() {
        CronJob cj = cron("hist", "Allow");
        cj.getSpec().setSuccessfulJobsHistoryLimit(2);
        create(cj);
        Instant t = b1;
        for (int i = 0; i < 4; i++) {
            Instant bt = t;
            if (i > 0) {
                at("hist", bt.plusMillis(200));
            }
            await(Duration.ofSeconds(15), "job " + i, () -> jobNames().contains(jobName("hist", bt)));
            complete(jobName("hist", bt), bt);
            t = t.plusSeconds(60);
        }
        Instant last = t.minusSeconds(60);
        at("hist", last.plusSeconds(10));
        await(Duration.ofSeconds(15), "two newest kept", () -> jobNames().equals(
                List.of(jobName("hist", last.minusSeconds(60)), jobName("hist", last))));
        await(Duration.ofSeconds(10), "active empty", () -> {
            var active = get("hist").getStatus().getActive();
            return active == null || active.isEmpty();
        });
    }

    @Test
    void aTimeOlderThanTheStartingDeadlineIsSkipped() {
        CronJob cj = cron("late", "Allow");
        cj.getSpec().setStartingDeadlineSeconds(10L);
        cj.getSpec().setSuspend(true);
        create(cj);
        clock.set(b1.plusSeconds(30));
        k.resources(CronJob.class).inNamespace("default").withName("late")
                .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"suspend\":false}}");
        // upstream looks back no further than the deadline: b1 (30 s ago, deadline 10 s) is not started
        sleepQuietly(1000);
        assertThat(jobNames()).isEmpty();
        // the next time is on time again
        at("late", b1.plusSeconds(61));
        await(Duration.ofSeconds(10), "next job", () -> jobNames().contains(jobName("late", b1.plusSeconds(60))));
    }

    @Test
    void aJobMadeByHandFromTheCronJobIsAWarningNotAnActiveJob() {
        CronJob cj = cron("byhand", "Forbid");
        cj.getSpec().setSuspend(true);
        create(cj);
        CronJob created = get("byhand");
        // what `kubectl create job manual --from=cronjob/byhand` sends
        Job manual = new io.fabric8.kubernetes.api.model.batch.v1.JobBuilder().withNewMetadata().withName("manual")
                .addToAnnotations("cronjob.kubernetes.io/instantiate", "manual")
                .addNewOwnerReference().withApiVersion("batch/v1").withKind("CronJob").withName("byhand")
                .withUid(created.getMetadata().getUid()).withController(true).endOwnerReference().endMetadata()
                .withSpec(created.getSpec().getJobTemplate().getSpec()).build();
        k.resources(Job.class).inNamespace("default").resource(manual).create();
        await(Duration.ofSeconds(10), "UnexpectedJob warning", () -> k.v1().events().inNamespace("default").list().getItems().stream()
                .anyMatch(e -> e.getReason().equals("UnexpectedJob") && e.getType().equals("Warning")
                        && e.getMessage().equals("Saw a job that the controller did not create or forgot: manual")));
        CronJob after = get("byhand");
        assertThat(after.getStatus() == null ? null : after.getStatus().getActive()).isNullOrEmpty();
    }

    static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
