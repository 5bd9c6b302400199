package io.kuberaft.controllers.disruption;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetStatus;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.kuberaft.controllers.endpoints.PodEndpoints;
import io.kuberaft.controllers.runtime.Controller;
import io.kuberaft.controllers.runtime.ControllerContext;
import io.kuberaft.controllers.runtime.ControllerRefs;
import io.kuberaft.controllers.runtime.Informers;
import io.kuberaft.controllers.runtime.Keys;
import io.kuberaft.controllers.runtime.Selectors;
import io.kuberaft.controllers.runtime.WorkQueue;
import io.kuberaft.kubeapi.LabelSelector;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The disruption controller: a PodDisruptionBudget's status from the pods it selects — expectedPods (the
 * scale of the pods' controllers, or the pod count for an integer minAvailable), desiredHealthy (minAvailable,
 * or expected − maxUnavailable; percentages rounded up), currentHealthy (ready pods that are neither
 * terminating nor recently evicted), disruptionsAllowed, the DisruptionAllowed condition and the
 * {@code disruptedPods} the eviction subresource records, dropped once the pod is terminating or after
 * upstream's two-minute deletion timeout. Status is written with the budget's resourceVersion so an eviction
 * that committed meanwhile is never overwritten.
 */
public final class DisruptionController implements Controller {
    static final Duration DELETION_TIMEOUT = Duration.ofMinutes(2);
    private ControllerContext ctx;
    private WorkQueue queue;
    private SharedIndexInformer<PodDisruptionBudget> pdbs;
    private SharedIndexInformer<Pod> pods;

    @Override
    public String name() {
        return "disruption-controller";
    }

    @Override
    public void register(ControllerContext ctx, WorkQueue queue) {
        this.ctx = ctx;
        this.queue = queue;
        pdbs = ctx.informers().of(PodDisruptionBudget.class);
        pods = ctx.informers().of(Pod.class);
        pdbs.addEventHandler(Keys.enqueue(queue));
        pods.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Pod p) {
                enqueueFor(p);
            }

            @Override
            public void onUpdate(Pod o, Pod n) {
                enqueueFor(n);
                if (!Objects.equals(o.getMetadata().getLabels(), n.getMetadata().getLabels())) {
                    enqueueFor(o);
                }
            }

            @Override
            public void onDelete(Pod p, boolean unknown) {
                if (p != null) {
                    enqueueFor(p);
                }
            }
        });
    }

    private void enqueueFor(Pod pod) {
        for (PodDisruptionBudget pdb : pdbs.getIndexer().byIndex(Informers.namespaceIndex(), pod.getMetadata().getNamespace())) {
            LabelSelector sel = selector(pdb);
            if (sel != null && sel.matches(labels(pod))) {
                queue.add(Keys.of(pdb));
            }
        }
    }

    private static Map<String, String> labels(Pod p) {
        return p.getMetadata().getLabels() == null ? Map.of() : p.getMetadata().getLabels();
    }

    /** policy/v1: a null (or invalid) selector selects nothing (null here), an empty one every pod of the namespace. */
    private static LabelSelector selector(PodDisruptionBudget pdb) {
        if (pdb.getSpec() == null || pdb.getSpec().getSelector() == null) {
            return null;
        }
        try {
            return Selectors.of(pdb.getSpec().getSelector());
        } catch (RuntimeException e) {
            return null;
        }
    }

    @Override
    public void reconcile(String key) {
        PodDisruptionBudget pdb = pdbs.getStore().getByKey(key);
        if (pdb == null || pdb.getMetadata().getDeletionTimestamp() != null) {
            return;
        }
        String ns = pdb.getMetadata().getNamespace();
        LabelSelector sel = selector(pdb);
        List<Pod> selected = new ArrayList<>();
        for (Pod p : pods.getIndexer().byIndex(Informers.namespaceIndex(), ns)) {
            if (sel != null && sel.matches(labels(p))) {
                selected.add(p);
            }
        }
        int expected;
        int desired;
        try {
            int[] counts = expectedAndDesired(pdb, selected);
            expected = counts[0];
            desired = counts[1];
        } catch (NoControllerException e) {
            ctx.events().warning(pdb, "NoControllers", e.getMessage());
            writeStatus(pdb, 0, 0, 0, disruptedPods(pdb, selected).map, "SyncFailed", e.getMessage());
            return;
        }
        Disrupted d = disruptedPods(pdb, selected);
        int healthy = 0;
        for (Pod p : selected) {
            if (p.getMetadata().getDeletionTimestamp() == null && !d.map.containsKey(p.getMetadata().getName()) && PodEndpoints.isReady(p)) {
                healthy++;
            }
        }
        writeStatus(pdb, healthy, desired, expected, d.map, null, null);
        if (d.recheck != null) {
            queue.addAfter(key, Math.max(1, Duration.between(ctx.clock().instant(), d.recheck).toMillis() + 1));
        }
    }

    private static final class NoControllerException extends Exception {
        NoControllerException(String m) {
            super(m);
        }
    }

    /** {expectedCount, desiredHealthy} as upstream's getExpectedPodCount. */
    private int[] expectedAndDesired(PodDisruptionBudget pdb, List<Pod> selected) throws NoControllerException {
        IntOrString maxUnavailable = pdb.getSpec().getMaxUnavailable();
        IntOrString minAvailable = pdb.getSpec().getMinAvailable();
        if (maxUnavailable != null) {
            int expected = expectedScale(pdb, selected);
            int max = scaled(maxUnavailable, expected);
            return new int[] {expected, Math.max(0, expected - max)};
        }
        if (minAvailable != null) {
            if (minAvailable.getIntVal() != null) {
                return new int[] {selected.size(), minAvailable.getIntVal()};
            }
            int expected = expectedScale(pdb, selected);
            return new int[] {expected, scaled(minAvailable, expected)};
        }
        return new int[] {0, 0};
    }

    /** An int as is, a percentage of {@code total} rounded up (GetScaledValueFromIntOrPercent with roundUp). */
    static int scaled(IntOrString v, int total) {
        if (v.getIntVal() != null) {
            return v.getIntVal();
        }
        String s = v.getStrVal().trim();
        int pct = Integer.parseInt(s.endsWith("%") ? s.substring(0, s.length() - 1) : s);
        return (int) Math.ceil(pct * (double) total / 100.0);
    }

    /** The sum of the scales of the selected pods' controllers (Deployment through its ReplicaSet, RS, RC, StatefulSet). */
    private int expectedScale(PodDisruptionBudget pdb, List<Pod> selected) throws NoControllerException {
        Map<String, Integer> scales = new TreeMap<>();
        List<String> unmanaged = new ArrayList<>();
        Map<String, Optional<Map.Entry<String, Integer>>> lookedUp = new HashMap<>();
        String ns = pdb.getMetadata().getNamespace();
        for (Pod p : selected) {
            Optional<OwnerReference> ref = ControllerRefs.controllerOf(p);
            if (ref.isEmpty()) {
                unmanaged.add(p.getMetadata().getName());
                continue;
            }
            OwnerReference r = ref.get();
            Optional<Map.Entry<String, Integer>> scale = lookedUp.computeIfAbsent(r.getUid(), u -> scaleOf(ns, r));
            if (scale.isEmpty()) {
                throw new NoControllerException("found no controllers for pod \"" + p.getMetadata().getName() + "\"");
            }
            scales.put(scale.get().getKey(), scale.get().getValue());
        }
        if (!unmanaged.isEmpty()) {
            ctx.events().warning(pdb, "UnmanagedPods", "Pods selected by this PodDisruptionBudget (selector: "
                    + selectorString(pdb) + ") were found to be unmanaged. As a result, the status of the PDB cannot be calculated "
                    + "correctly, which may result in undefined behavior. To account for these pods please set \".spec.minAvailable\" "
                    + "field of the PDB to an integer value.");
        }
        return scales.values().stream().mapToInt(Integer::intValue).sum();
    }

    private static String selectorString(PodDisruptionBudget pdb) {
        return Serialization.asJson(pdb.getSpec().getSelector());
    }

    /** uid of the scaled controller → its spec.replicas, or empty when the controller does not exist (any more). */
    private Optional<Map.Entry<String, Integer>> scaleOf(String ns, OwnerReference r) {
        var c = ctx.client();
        try {
            switch (r.getKind()) {
                case "ReplicaSet" -> {
                    ReplicaSet rs = c.apps().replicaSets().inNamespace(ns).withName(r.getName()).get();
                    if (rs == null || !r.getUid().equals(rs.getMetadata().getUid())) {
                        return Optional.empty();
                    }
                    Optional<OwnerReference> owner = ControllerRefs.controllerOf(rs);
                    if (owner.isPresent() && owner.get().getKind().equals("Deployment")) {
                        var d = c.apps().deployments().inNamespace(ns).withName(owner.get().getName()).get();
                        if (d != null && owner.get().getUid().equals(d.getMetadata().getUid())) {
                            return Optional.of(Map.entry(d.getMetadata().getUid(), replicas(d.getSpec().getReplicas())));
                        }
                    }
                    return Optional.of(Map.entry(rs.getMetadata().getUid(), replicas(rs.getSpec().getReplicas())));
                }
                case "ReplicationController" -> {
                    var rc = c.replicationControllers().inNamespace(ns).withName(r.getName()).get();
                    return rc == null || !r.getUid().equals(rc.getMetadata().getUid()) ? Optional.empty()
                            : Optional.of(Map.entry(rc.getMetadata().getUid(), replicas(rc.getSpec().getReplicas())));
                }
                case "StatefulSet" -> {
                    var ss = c.apps().statefulSets().inNamespace(ns).withName(r.getName()).get();
                    return ss == null || !r.getUid().equals(ss.getMetadata().getUid()) ? Optional.empty()
                            : Optional.of(Map.entry(ss.getMetadata().getUid(), replicas(ss.getSpec().getReplicas())));
                }
                case "Deployment" -> {
                    var d = c.apps().deployments().inNamespace(ns).withName(r.getName()).get();
                    return d == null || !r.getUid().equals(d.getMetadata().getUid()) ? Optional.empty()
                            : Optional.of(Map.entry(d.getMetadata().getUid(), replicas(d.getSpec().getReplicas())));
                }
                default -> {
                    return Optional.empty();
                }
            }
        } catch (KubernetesClientException e) {
            if (e.getCode() == 404) {
                return Optional.empty();
            }
            throw e;
        }
    }

    private static int replicas(Integer r) {
        return r == null ? 1 : r;
    }

    private record Disrupted(Map<String, String> map, Instant recheck) {
    }

    /** Upstream's buildDisruptedPodMap: entries of pods not yet terminating and not past the deletion timeout. */
    private Disrupted disruptedPods(PodDisruptionBudget pdb, List<Pod> selected) {
        Map<String, String> recorded = pdb.getStatus() == null || pdb.getStatus().getDisruptedPods() == null
                ? Map.of() : pdb.getStatus().getDisruptedPods();
        Map<String, String> out = new TreeMap<>();
        Instant recheck = null;
        Instant now = ctx.clock().instant();
        for (Pod p : selected) {
            if (p.getMetadata().getDeletionTimestamp() != null) {
                continue;
            }
            String t = recorded.get(p.getMetadata().getName());
            Instant at = PodEndpoints.parse(t);
            if (at == null) {
                continue;
            }
            Instant expectedDeletion = at.plus(DELETION_TIMEOUT);
            if (expectedDeletion.isBefore(now)) {
                ctx.events().warning(pdb, "NotDeleted", "Pod " + p.getMetadata().getNamespace() + "/" + p.getMetadata().getName()
                        + " was expected to be deleted at " + expectedDeletion + " but it wasn't, updating pdb");
            } else {
                out.put(p.getMetadata().getName(), t);
                if (recheck == null || expectedDeletion.isBefore(recheck)) {
                    recheck = expectedDeletion;
                }
            }
        }
        return new Disrupted(out, recheck);
    }

    private void writeStatus(PodDisruptionBudget pdb, int healthy, int desired, int expected, Map<String, String> disrupted,
                             String failReason, String failMessage) {
        int allowed = healthy - desired;
        if (expected <= 0 || allowed <= 0) {
            allowed = 0;
        }
        long generation = pdb.getMetadata().getGeneration() == null ? 0 : pdb.getMetadata().getGeneration();
        String status = failReason == null && allowed > 0 ? "True" : "False";
        String reason = failReason != null ? failReason : allowed > 0 ? "SufficientPods" : "InsufficientPods";
        PodDisruptionBudgetStatus cur = pdb.getStatus() == null ? new PodDisruptionBudgetStatus() : pdb.getStatus();
        Condition prior = cur.getConditions() == null ? null
                : cur.getConditions().stream().filter(c -> "DisruptionAllowed".equals(c.getType())).findFirst().orElse(null);
        boolean same = Objects.equals(cur.getCurrentHealthy(), healthy) && Objects.equals(cur.getDesiredHealthy(), desired)
                && Objects.equals(cur.getExpectedPods(), expected) && Objects.equals(cur.getDisruptionsAllowed(), allowed)
                && Objects.equals(cur.getObservedGeneration(), generation)
                && Objects.equals(cur.getDisruptedPods() == null ? Map.of() : cur.getDisruptedPods(), disrupted)
                && prior != null && status.equals(prior.getStatus()) && reason.equals(prior.getReason());
        if (same) {
            return;
        }
        String transition = prior != null && status.equals(prior.getStatus()) && prior.getLastTransitionTime() != null
                ? prior.getLastTransitionTime() : ctx.clock().instant().truncatedTo(ChronoUnit.SECONDS).toString();
        Condition cond = new ConditionBuilder().withType("DisruptionAllowed").withStatus(status).withReason(reason)
                .withMessage(failMessage == null ? "" : failMessage).withObservedGeneration(generation)
                .withLastTransitionTime(transition).build();
        PodDisruptionBudget next = new PodDisruptionBudgetBuilder(pdb).withNewStatus().withCurrentHealthy(healthy)
                .withDesiredHealthy(desired).withExpectedPods(expected).withDisruptionsAllowed(allowed).withObservedGeneration(generation)
                .withDisruptedPods(disrupted.isEmpty() ? null : new TreeMap<>(disrupted)).withConditions(cond).endStatus().build();
        // resourceVersion from the cache: an eviction that changed the budget since makes this a 409, retried fresh.
        ctx.client().policy().v1().podDisruptionBudget().inNamespace(pdb.getMetadata().getNamespace()).resource(next).updateStatus();
    }
}
