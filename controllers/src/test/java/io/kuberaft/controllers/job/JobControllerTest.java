package io.kuberaft.controllers.job;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.kuberaft.controllers.ApiFixture;
import io.kuberaft.controllers.ControllerOptions;
import io.kuberaft.controllers.PodPhases;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.kuberaft.controllers.ApiFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

class JobControllerTest {
    @TempDir
    Path tmp;
    ApiFixture api;
    KubernetesClient k;

    @BeforeEach
    void start() {
        api = new ApiFixture(tmp, ControllerOptions.defaults().withJobPodFailureBackoff(Duration.ofMillis(400), Duration.ofSeconds(2)),
                List.of(JobController::new, TtlAfterFinishedController::new));
        k = api.client();
    }

    @AfterEach
    void stop() {
        api.close();
    }

    static Job job(String name, Integer completions, int parallelism) {
        return new JobBuilder().withNewMetadata().withName(name).endMetadata().withNewSpec()
                .withCompletions(completions).withParallelism(parallelism)
                .withNewTemplate().withNewSpec().withRestartPolicy("Never")
                .addNewContainer().withName("c").withImage("busybox").endContainer().endSpec().endTemplate()
                .endSpec().build();
    }

    List<Pod> pods(String job) {
        return k.pods().inNamespace("default").withLabel("batch.kubernetes.io/job-name", job).list().getItems();
    }

    static boolean activePod(Pod p) {
        String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
        return !"Succeeded".equals(phase) && !"Failed".equals(phase) && p.getMetadata().getDeletionTimestamp() == null;
    }

    Job get(String name) {
        return k.resources(Job.class).inNamespace("default").withName(name).get();
    }

    static boolean hasCondition(Job j, String type, String reason) {
        return j != null && j.getStatus() != null && j.getStatus().getConditions() != null && j.getStatus().getConditions().stream()
                .anyMatch(c -> c.getType().equals(type) && "True".equals(c.getStatus()) && (reason == null || reason.equals(c.getReason())));
    }

    List<Event> events(String name) {
        return k.v1().events().inNamespace("default").list().getItems().stream()
                .filter(e -> name.equals(e.getInvolvedObject().getName())).toList();
    }

    @Test
    void runsToCompleteWithParallelismNeverExceeded() {
        k.resources(Job.class).inNamespace("default").resource(job("pi", 5, 2)).create();
        Set<String> seen = new HashSet<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(40).toNanos();
        while (!hasCondition(get("pi"), "Complete", null)) {
            assertThat(System.nanoTime()).as("job pi completes in time").isLessThan(deadline);
            List<Pod> all = pods("pi");
            List<Pod> active = all.stream().filter(JobControllerTest::activePod).toList();
            assertThat(active.size()).as("active pods at most parallelism").isLessThanOrEqualTo(2);
            // never more pods succeed than completions: only 5 - succeeded remain to run
            long done = all.stream().filter(p -> p.getStatus() != null && "Succeeded".equals(p.getStatus().getPhase())).count();
            assertThat(active.size() + done).isLessThanOrEqualTo(5);
            for (Pod p : active) {
                if (seen.add(p.getMetadata().getName())) {
                    PodPhases.running(k, p, true);
                } else {
                    PodPhases.succeeded(k, p);
                }
            }
            sleep(50);
        }
        Job j = get("pi");
        assertThat(j.getStatus().getSucceeded()).isEqualTo(5);
        assertThat(j.getStatus().getFailed()).isIn(null, 0);
        assertThat(j.getStatus().getActive()).isIn(null, 0);
        assertThat(j.getStatus().getStartTime()).isNotNull();
        assertThat(j.getStatus().getCompletionTime()).isNotNull();
        assertThat(j.getStatus().getConditions()).extracting(JobCondition::getType).containsExactly("SuccessCriteriaMet", "Complete");
        assertThat(j.getStatus().getConditions().get(1).getReason()).isEqualTo("CompletionsReached");
        assertThat(j.getStatus().getUncountedTerminatedPods().getSucceeded()).isNullOrEmpty();
        List<Pod> all = pods("pi");
        assertThat(all).hasSize(5);
        for (Pod p : all) {
            assertThat(p.getMetadata().getName()).matches("pi-[a-z0-9]{5}");
            assertThat(p.getMetadata().getLabels()).containsEntry("job-name", "pi").containsEntry("batch.kubernetes.io/job-name", "pi")
                    .containsEntry("controller-uid", j.getMetadata().getUid())
                    .containsEntry("batch.kubernetes.io/controller-uid", j.getMetadata().getUid());
            assertThat(p.getMetadata().getFinalizers()).doesNotContain(JobController.TRACKING_FINALIZER);
            assertThat(p.getMetadata().getOwnerReferences().get(0).getKind()).isEqualTo("Job");
        }
        await(Duration.ofSeconds(10), "Completed and SuccessfulCreate events", () -> {
            List<Event> ev = events("pi");
            return ev.stream().anyMatch(e -> e.getReason().equals("Completed") && e.getMessage().equals("Job completed"))
                    && ev.stream().filter(e -> e.getReason().equals("SuccessfulCreate")).mapToInt(Event::getCount).sum() == 5;
        });
    }

    @Test
    void indexedJobRunsEveryIndexOnce() {
        Job spec = job("idx", 3, 3);
        spec.getSpec().setCompletionMode("Indexed");
        k.resources(Job.class).inNamespace("default").resource(spec).create();
        await(Duration.ofSeconds(20), "3 indexed pods", () -> pods("idx").size() == 3);
        TreeSet<String> indexes = new TreeSet<>();
        for (Pod p : pods("idx")) {
            String i = p.getMetadata().getAnnotations().get(JobController.COMPLETION_INDEX);
            indexes.add(i);
            assertThat(p.getMetadata().getLabels()).containsEntry(JobController.COMPLETION_INDEX, i);
            assertThat(p.getMetadata().getName()).matches("idx-" + i + "-[a-z0-9]{5}");
            assertThat(p.getSpec().getHostname()).isEqualTo("idx-" + i);
            assertThat(p.getSpec().getContainers().get(0).getEnv()).anyMatch(e -> e.getName().equals("JOB_COMPLETION_INDEX"));
        }
        assertThat(indexes).containsExactly("0", "1", "2");
        Pod one = pods("idx").stream().filter(p -> p.getMetadata().getAnnotations().get(JobController.COMPLETION_INDEX).equals("1"))
                .findFirst().orElseThrow();
        PodPhases.succeeded(k, one);
        await(Duration.ofSeconds(20), "completedIndexes 1", () -> "1".equals(get("idx").getStatus().getCompletedIndexes()));
        // index 2 fails: a replacement for index 2 comes (after the backoff), index 1 is never run again
        Pod two = pods("idx").stream().filter(p -> p.getMetadata().getAnnotations().get(JobController.COMPLETION_INDEX).equals("2"))
                .findFirst().orElseThrow();
        PodPhases.failed(k, two);
        await(Duration.ofSeconds(20), "replacement for index 2", () -> pods("idx").stream()
                .filter(p -> p.getMetadata().getAnnotations().get(JobController.COMPLETION_INDEX).equals("2")).count() == 2);
        for (Pod p : pods("idx")) {
            if (activePod(p)) {
                PodPhases.succeeded(k, p);
            }
        }
        await(Duration.ofSeconds(20), "idx Complete", () -> hasCondition(get("idx"), "Complete", "CompletionsReached"));
        Job j = get("idx");
        assertThat(j.getStatus().getCompletedIndexes()).isEqualTo("0-2");
        assertThat(j.getStatus().getSucceeded()).isEqualTo(3);
        assertThat(j.getStatus().getFailed()).isEqualTo(1);
        assertThat(pods("idx")).hasSize(4);
    }

    Pod ofIndex(String job, int index) {
        return pods(job).stream().filter(JobControllerTest::activePod)
                .filter(p -> p.getMetadata().getAnnotations().get(JobController.COMPLETION_INDEX).equals(String.valueOf(index)))
                .findFirst().orElse(null);
    }

    /** The docs' successPolicy example: the leader index succeeding is enough; the other workers are stopped. */
    @Test
    void successPolicyCompletesTheJobWhenItsIndexesSucceed() {
        Job spec = job("sp", 3, 3);
        spec.getSpec().setCompletionMode("Indexed");
        spec.getSpec().setSuccessPolicy(new io.fabric8.kubernetes.api.model.batch.v1.SuccessPolicyBuilder()
                .addNewRule().withSucceededIndexes("0").endRule().build());
        k.resources(Job.class).inNamespace("default").resource(spec).create();
        await(Duration.ofSeconds(20), "3 indexed pods", () -> pods("sp").stream().filter(JobControllerTest::activePod).count() == 3);
        PodPhases.succeeded(k, ofIndex("sp", 1));
        await(Duration.ofSeconds(20), "index 1 counted", () -> "1".equals(get("sp").getStatus().getCompletedIndexes()));
        assertThat(hasCondition(get("sp"), "SuccessCriteriaMet", null)).as("index 1 is no rule's").isFalse();
        PodPhases.succeeded(k, ofIndex("sp", 0));
        await(Duration.ofSeconds(20), "sp Complete by its success policy", () -> hasCondition(get("sp"), "Complete", "SuccessPolicy"));
        Job j = get("sp");
        assertThat(j.getStatus().getConditions()).extracting(JobCondition::getType).containsExactly("SuccessCriteriaMet", "Complete");
        assertThat(j.getStatus().getConditions().get(1).getMessage()).isEqualTo("Matched rules at index 0");
        assertThat(j.getStatus().getCompletedIndexes()).isEqualTo("0,1");
        assertThat(pods("sp").stream().filter(JobControllerTest::activePod)).as("index 2's pod stopped").isEmpty();
    }

    /** backoffLimitPerIndex: an index that failed too often fails alone; the Job ends Failed with FailedIndexes. */
    @Test
    void backoffLimitPerIndexFailsAnIndexAndTheJobOnceTheOthersAreDone() {
        Job spec = job("bpi", 2, 2);
        spec.getSpec().setCompletionMode("Indexed");
        spec.getSpec().setBackoffLimitPerIndex(1);
        Job created = k.resources(Job.class).inNamespace("default").resource(spec).create();
        assertThat(created.getSpec().getBackoffLimit()).as("upstream's default with a per-index limit").isEqualTo(Integer.MAX_VALUE);
        await(Duration.ofSeconds(20), "2 indexed pods", () -> ofIndex("bpi", 0) != null && ofIndex("bpi", 1) != null);
        assertThat(ofIndex("bpi", 0).getMetadata().getAnnotations()).containsEntry(JobController.INDEX_FAILURE_COUNT, "0");
        PodPhases.failed(k, ofIndex("bpi", 0));
        await(Duration.ofSeconds(20), "a second pod for index 0", () -> ofIndex("bpi", 0) != null);
        assertThat(ofIndex("bpi", 0).getMetadata().getAnnotations()).containsEntry(JobController.INDEX_FAILURE_COUNT, "1");
        PodPhases.failed(k, ofIndex("bpi", 0));
        await(Duration.ofSeconds(20), "index 0 failed", () -> "0".equals(get("bpi").getStatus().getFailedIndexes()));
        assertThat(hasCondition(get("bpi"), "Failed", null)).as("index 1 still runs").isFalse();
        PodPhases.succeeded(k, ofIndex("bpi", 1));
        await(Duration.ofSeconds(20), "bpi Failed with failed indexes", () -> hasCondition(get("bpi"), "Failed", "FailedIndexes"));
        Job j = get("bpi");
        assertThat(j.getStatus().getConditions().get(1).getMessage()).isEqualTo("Job has failed indexes");
        assertThat(j.getStatus().getCompletedIndexes()).isEqualTo("1");
        assertThat(j.getStatus().getFailed()).isEqualTo(2);
        assertThat(pods("bpi")).as("no third pod for index 0").hasSize(3);
    }

    /** With backoffLimitPerIndex each index waits out its own backoff: failures of one index do not hold the others. */
    @Test
    void aFailedIndexDoesNotDelayTheNextIndex() {
        api.close();
        api = new ApiFixture(tmp.resolve("slow-backoff"), ControllerOptions.defaults().withJobPodFailureBackoff(Duration.ofSeconds(60),
                Duration.ofMinutes(5)), List.of(JobController::new));
        k = api.client();
        Job spec = job("fi", 3, 2);
        spec.getSpec().setCompletionMode("Indexed");
        spec.getSpec().setBackoffLimitPerIndex(2);
        spec.getSpec().setPodFailurePolicy(new io.fabric8.kubernetes.api.model.batch.v1.PodFailurePolicyBuilder()
                .addNewRule().withAction("FailIndex").withNewOnExitCodes().withOperator("In").withValues(3).endOnExitCodes().endRule().build());
        k.resources(Job.class).inNamespace("default").resource(spec).create();
        await(Duration.ofSeconds(20), "pods for 0 and 1", () -> ofIndex("fi", 0) != null && ofIndex("fi", 1) != null);
        failedWith(ofIndex("fi", 0), 3, "");
        await(Duration.ofSeconds(20), "index 0 failed by the FailIndex rule", () -> "0".equals(get("fi").getStatus().getFailedIndexes()));
        // the Job-wide backoff after a failure would be 60 s; index 2 never failed, so its pod comes at once
        await(Duration.ofSeconds(20), "a pod for index 2", () -> ofIndex("fi", 2) != null);
        assertThat(ofIndex("fi", 0)).as("no retry of a failed index").isNull();
    }

    @Test
    void backoffLimitExceededFailsTheJobAfterBackoffDelays() {
        Job spec = job("flaky", 1, 1);
        spec.getSpec().setBackoffLimit(2);
        k.resources(Job.class).inNamespace("default").resource(spec).create();
        long[] failedAt = new long[3];
        for (int i = 0; i < 3; i++) {
            int n = i;
            await(Duration.ofSeconds(20), "pod " + (i + 1), () -> pods("flaky").stream().filter(JobControllerTest::activePod).count() == 1
                    && pods("flaky").size() == n + 1);
            if (i > 0) {
                // the replacement waits for the backoff: 400 ms after the first failure, 800 ms after the second
                long waited = (System.nanoTime() - failedAt[i - 1]) / 1_000_000;
                assertThat(waited).as("backoff before pod " + (i + 1)).isGreaterThanOrEqualTo(i == 1 ? 350 : 750);
            }
            Pod p = pods("flaky").stream().filter(JobControllerTest::activePod).findFirst().orElseThrow();
            PodPhases.failed(k, p);
            failedAt[i] = System.nanoTime();
        }
        await(Duration.ofSeconds(20), "flaky Failed", () -> hasCondition(get("flaky"), "Failed", "BackoffLimitExceeded"));
        Job j = get("flaky");
        assertThat(j.getStatus().getFailed()).isEqualTo(3);
        assertThat(j.getStatus().getConditions()).extracting(JobCondition::getType).containsExactly("FailureTarget", "Failed");
        assertThat(j.getStatus().getConditions().get(1).getMessage()).isEqualTo("Job has reached the specified backoff limit");
        assertThat(pods("flaky")).hasSize(3);
        await(Duration.ofSeconds(10), "BackoffLimitExceeded event", () -> events("flaky").stream()
                .anyMatch(e -> e.getType().equals("Warning") && e.getReason().equals("BackoffLimitExceeded")));
    }

    /** What a kubelet reports for a pod whose container exited with {@code code}, with {@code conditions} added. */
    void failedWith(Pod p, int code, String conditions) {
        k.pods().inNamespace("default").withName(p.getMetadata().getName()).subresource("status").patch(
                io.fabric8.kubernetes.client.dsl.base.PatchContext.of(io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
                "{\"status\":{\"phase\":\"Failed\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\"}" + conditions + "],"
                        + "\"containerStatuses\":[{\"name\":\"c\",\"image\":\"busybox\",\"imageID\":\"\",\"ready\":false,\"restartCount\":0,"
                        + "\"state\":{\"terminated\":{\"exitCode\":" + code + ",\"reason\":\"Error\"}}}]}}");
    }

    /** The docs' podFailurePolicy example: exit code 42 fails the Job at once, a disruption is not counted. */
    @Test
    void podFailurePolicyFailsOnAnExitCodeAndIgnoresDisruptions() {
        Job spec = job("pfp", 1, 1);
        spec.getSpec().setBackoffLimit(1);
        spec.getSpec().setPodFailurePolicy(new io.fabric8.kubernetes.api.model.batch.v1.PodFailurePolicyBuilder()
                .addNewRule().withAction("FailJob").withNewOnExitCodes().withContainerName("c").withOperator("In").withValues(42).endOnExitCodes().endRule()
                .addNewRule().withAction("Ignore").addNewOnPodCondition().withType("DisruptionTarget").withStatus("True").endOnPodCondition().endRule()
                .build());
        k.resources(Job.class).inNamespace("default").resource(spec).create();
        // two disruptions with backoffLimit 1: neither counts, so the Job goes on
        for (int i = 0; i < 2; i++) {
            int n = i;
            await(Duration.ofSeconds(20), "pod " + (i + 1), () -> pods("pfp").stream().filter(JobControllerTest::activePod).count() == 1
                    && pods("pfp").size() == n + 1);
            failedWith(pods("pfp").stream().filter(JobControllerTest::activePod).findFirst().orElseThrow(), 137,
                    ",{\"type\":\"DisruptionTarget\",\"status\":\"True\",\"reason\":\"EvictionByEvictionAPI\"}");
        }
        await(Duration.ofSeconds(20), "a third pod", () -> pods("pfp").stream().filter(JobControllerTest::activePod).count() == 1
                && pods("pfp").size() == 3);
        assertThat(get("pfp").getStatus().getFailed()).as("ignored failures are not counted (0 is omitted, as upstream)").isNull();
        Pod third = pods("pfp").stream().filter(JobControllerTest::activePod).findFirst().orElseThrow();
        failedWith(third, 42, "");
        await(Duration.ofSeconds(20), "pfp Failed by the policy", () -> hasCondition(get("pfp"), "Failed", "PodFailurePolicy"));
        assertThat(get("pfp").getStatus().getConditions().get(1).getMessage()).isEqualTo("Container c for pod default/"
                + third.getMetadata().getName() + " failed with exit code 42 matching FailJob rule at index 0");
        assertThat(get("pfp").getStatus().getFailed()).isEqualTo(1);
    }

    /** restartPolicy OnFailure: restarts in place never fail the pod, so upstream counts container restarts instead. */
    @Test
    void containerRestartsCountTowardTheBackoffLimitWithRestartPolicyOnFailure() {
        Job spec = job("restarting", 1, 1);
        spec.getSpec().setBackoffLimit(2);
        spec.getSpec().getTemplate().getSpec().setRestartPolicy("OnFailure");
        spec.getSpec().getTemplate().getSpec().setInitContainers(List.of(new io.fabric8.kubernetes.api.model.ContainerBuilder()
                .withName("init").withImage("busybox").build()));
        k.resources(Job.class).inNamespace("default").resource(spec).create();
        await(Duration.ofSeconds(20), "pod", () -> pods("restarting").size() == 1);
        Pod p = pods("restarting").get(0);

        restarts(p, 0, 1);
        // the same sync that sees the restart reports the pod ready: one restart of a limit of 2 is not yet too many
        await(Duration.ofSeconds(20), "ready 1", () -> Integer.valueOf(1).equals(get("restarting").getStatus().getReady()));
        assertThat(get("restarting").getStatus().getConditions()).isNullOrEmpty();

        restarts(p, 1, 1); // one init and one regular restart: 2 >= backoffLimit
        await(Duration.ofSeconds(20), "restarting Failed", () -> hasCondition(get("restarting"), "Failed", "BackoffLimitExceeded"));
        Job j = get("restarting");
        assertThat(j.getStatus().getConditions()).extracting(JobCondition::getType).containsExactly("FailureTarget", "Failed");
        assertThat(j.getStatus().getConditions().get(1).getMessage()).isEqualTo("Job has reached the specified backoff limit");
        await(Duration.ofSeconds(10), "pod gone", () -> pods("restarting").stream().noneMatch(JobControllerTest::activePod));
    }

    /** What a kubelet reports for a running, ready pod whose containers restarted in place. */
    private void restarts(Pod p, int init, int main) {
        String now = java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
        String body = "{\"status\":{\"phase\":\"Running\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\",\"lastTransitionTime\":\"" + now + "\"}],"
                + "\"initContainerStatuses\":[{\"name\":\"init\",\"image\":\"busybox\",\"imageID\":\"\",\"ready\":true,\"restartCount\":" + init
                + ",\"state\":{\"terminated\":{\"exitCode\":0,\"reason\":\"Completed\"}}}],"
                + "\"containerStatuses\":[{\"name\":\"c\",\"image\":\"busybox\",\"imageID\":\"\",\"ready\":true,\"started\":true,\"restartCount\":" + main
                + ",\"state\":{\"running\":{\"startedAt\":\"" + now + "\"}}}]}}";
        k.pods().inNamespace("default").withName(p.getMetadata().getName()).subresource("status")
                .patch(io.fabric8.kubernetes.client.dsl.base.PatchContext.of(io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE), body);
    }

    @Test
    void activeDeadlineFailsTheJobAndRemovesItsPods() {
        Job spec = job("slow", 1, 2);
        spec.getSpec().setCompletions(4);
        spec.getSpec().setActiveDeadlineSeconds(2L);
        k.resources(Job.class).inNamespace("default").resource(spec).create();
        await(Duration.ofSeconds(20), "2 pods", () -> pods("slow").size() == 2);
        pods("slow").forEach(p -> PodPhases.running(k, p, true));
        await(Duration.ofSeconds(20), "slow Failed", () -> hasCondition(get("slow"), "Failed", "DeadlineExceeded"));
        Job j = get("slow");
        assertThat(j.getStatus().getConditions().get(1).getMessage()).isEqualTo("Job was active longer than specified deadline");
        assertThat(j.getStatus().getActive()).isIn(null, 0);
        await(Duration.ofSeconds(10), "pods gone", () -> pods("slow").isEmpty());
    }

    @Test
    void ttlAfterFinishedDeletesTheJob() {
        // watched from before its creation: polling could miss the Complete job when the 1 s TTL deletes it first
        AtomicBoolean completed = new AtomicBoolean();
        AtomicBoolean deletedAfterCompletion = new AtomicBoolean();
        try (Watch w = k.resources(Job.class).inNamespace("default").withName("brief").watch(new Watcher<>() {
            @Override
            public void eventReceived(Action action, Job j) {
                completed.compareAndSet(false, hasCondition(j, "Complete", null));
                if (action == Action.DELETED) {
                    deletedAfterCompletion.set(completed.get());
                }
            }

            @Override
            public void onClose(WatcherException cause) {
            }
        })) {
            Job spec = job("brief", 1, 1);
            spec.getSpec().setTtlSecondsAfterFinished(1);
            k.resources(Job.class).inNamespace("default").resource(spec).create();
            await(Duration.ofSeconds(20), "pod", () -> pods("brief").size() == 1);
            PodPhases.succeeded(k, pods("brief").get(0));
            await(Duration.ofSeconds(20), "brief Complete", completed::get);
            await(Duration.ofSeconds(20), "brief deleted once Complete", deletedAfterCompletion::get);
            assertThat(get("brief")).isNull();
        }
    }

    @Test
    void suspendedJobRunsNothingUntilResumed() {
        Job spec = job("later", 2, 2);
        spec.getSpec().setSuspend(true);
        k.resources(Job.class).inNamespace("default").resource(spec).create();
        await(Duration.ofSeconds(20), "Suspended condition", () -> hasCondition(get("later"), "Suspended", "JobSuspended"));
        assertThat(pods("later")).isEmpty();
        assertThat(get("later").getStatus().getStartTime()).isNull();
        k.resources(Job.class).inNamespace("default").withName("later").edit(j -> {
            j.getSpec().setSuspend(false);
            return j;
        });
        await(Duration.ofSeconds(20), "2 pods after resume", () -> pods("later").size() == 2);
        // the status (startTime) is written after the pods in the same sync: seeing the pods first is a race, not a bug
        await(Duration.ofSeconds(10), "startTime after resume", () -> get("later").getStatus().getStartTime() != null);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
