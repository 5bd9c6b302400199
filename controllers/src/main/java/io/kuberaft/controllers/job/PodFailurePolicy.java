package io.kuberaft.controllers.job;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.PodFailurePolicyOnExitCodesRequirement;
import io.fabric8.kubernetes.api.model.batch.v1.PodFailurePolicyRule;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A Job's {@code spec.podFailurePolicy}, as upstream's matchPodFailurePolicy: the first rule that matches a failed pod
 * decides — {@code FailJob} fails the Job at once (reason PodFailurePolicy), {@code Ignore} does not count the failure
 * toward backoffLimit, {@code Count} counts it as usual. A rule matches on a non-zero exit code of a terminated
 * container (init containers first; {@code In}/{@code NotIn} the values, optionally of one container) or on a pod
 * condition ({@code DisruptionTarget}: the pod was evicted or preempted).
 */
final class PodFailurePolicy {
    private PodFailurePolicy() {
    }

    /** What the policy says of one failed pod: its action and upstream's message. */
    record Match(String action, String message) {
    }

    static Optional<Match> match(Job job, Pod pod) {
        var policy = job.getSpec().getPodFailurePolicy();
        if (policy == null || policy.getRules() == null) {
            return Optional.empty();
        }
        String ref = pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
        List<PodFailurePolicyRule> rules = policy.getRules();
        for (int i = 0; i < rules.size(); i++) {
            PodFailurePolicyRule rule = rules.get(i);
            if (rule.getOnExitCodes() != null) {
                Optional<ContainerStatus> c = failedContainer(pod, rule.getOnExitCodes());
                if (c.isPresent()) {
                    return Optional.of(new Match(rule.getAction(), "Container " + c.get().getName() + " for pod " + ref
                            + " failed with exit code " + c.get().getState().getTerminated().getExitCode() + " matching " + rule.getAction()
                            + " rule at index " + i));
                }
            }
            if (rule.getOnPodConditions() != null && pod.getStatus() != null && pod.getStatus().getConditions() != null) {
                for (var want : rule.getOnPodConditions()) {
                    String status = want.getStatus() == null ? "True" : want.getStatus();
                    boolean has = pod.getStatus().getConditions().stream()
                            .anyMatch(pc -> pc.getType().equals(want.getType()) && status.equals(pc.getStatus()));
                    if (has) {
                        return Optional.of(new Match(rule.getAction(), "Pod " + ref + " has condition " + want.getType() + " matching "
                                + rule.getAction() + " rule at index " + i));
                    }
                }
            }
        }
        return Optional.empty();
    }

    private static Optional<ContainerStatus> failedContainer(Pod pod, PodFailurePolicyOnExitCodesRequirement req) {
        if (pod.getStatus() == null) {
            return Optional.empty();
        }
        List<ContainerStatus> all = new ArrayList<>();
        if (pod.getStatus().getInitContainerStatuses() != null) {
            all.addAll(pod.getStatus().getInitContainerStatuses());
        }
        if (pod.getStatus().getContainerStatuses() != null) {
            all.addAll(pod.getStatus().getContainerStatuses());
        }
        for (ContainerStatus cs : all) {
            var t = cs.getState() == null ? null : cs.getState().getTerminated();
            if (t == null || t.getExitCode() == null || t.getExitCode() == 0
                    || (req.getContainerName() != null && !req.getContainerName().equals(cs.getName()))) {
                continue;
            }
            boolean listed = req.getValues() != null && req.getValues().contains(t.getExitCode());
            if ("In".equals(req.getOperator()) == listed) {
                return Optional.of(cs);
            }
        }
        return Optional.empty();
    }
}
