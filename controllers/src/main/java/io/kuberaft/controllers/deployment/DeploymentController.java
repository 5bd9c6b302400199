package io.kuberaft.controllers.deployment;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentCondition;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatus;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetCondition;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.kuberaft.controllers.runtime.Controller;
import io.kuberaft.controllers.runtime.ControllerContext;
import io.kuberaft.controllers.runtime.ControllerRefs;
import io.kuberaft.controllers.runtime.Informers;
import io.kuberaft.controllers.runtime.Keys;
import io.kuberaft.controllers.runtime.Selectors;
import io.kuberaft.controllers.runtime.DirectRequests;
import io.kuberaft.controllers.runtime.WorkQueue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import static io.kuberaft.controllers.deployment.Rollouts.*;

/**
 * upstream's DeploymentController: owns ReplicaSets (adopting and releasing by selector), keeps one
 * "new" ReplicaSet per pod template (named {@code <deployment>-<template hash>}, labelled and selected
 * by {@code pod-template-hash}), rolls out with RollingUpdate (maxSurge / maxUnavailable) or
 * Recreate, scales proportionally, renumbers revisions (a rollback reuses the old ReplicaSet under the
 * next number), prunes history beyond revisionHistoryLimit, and writes status and the Available /
 * Progressing conditions with upstream's reasons and messages.
 */
public final class DeploymentController implements Controller {
    private ControllerContext ctx;
    private WorkQueue queue;
    private SharedIndexInformer<Deployment> deployments;
    private SharedIndexInformer<ReplicaSet> replicaSets;
    private SharedIndexInformer<Pod> pods;

    @Override
    public String name() {
        return "deployment-controller";
    }

    @Override
    public int workers() {
        return 5;
    }

    @Override
    public void register(ControllerContext ctx, WorkQueue queue) {
        this.ctx = ctx;
        this.queue = queue;
        deployments = ctx.informers().of(Deployment.class);
        replicaSets = ctx.informers().of(ReplicaSet.class);
        pods = ctx.informers().of(Pod.class);
        deployments.addEventHandler(Keys.enqueue(queue));
        replicaSets.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(ReplicaSet rs) {
                rsChanged(rs, null);
            }

            @Override
            public void onUpdate(ReplicaSet old, ReplicaSet cur) {
                rsChanged(cur, old);
            }

            @Override
            public void onDelete(ReplicaSet rs, boolean unknown) {
                if (rs != null) {
                    owner(rs).ifPresent(d -> queue.add(Keys.of(d)));
                }
            }
        });
        pods.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Pod p) {
            }

            @Override
            public void onUpdate(Pod o, Pod n) {
            }

            @Override
            public void onDelete(Pod p, boolean unknown) {
                // Recreate waits for the old pods to go
                if (p == null) {
                    return;
                }
                ControllerRefs.controllerOf(p).filter(r -> "ReplicaSet".equals(r.getKind())).ifPresent(r -> {
                    ReplicaSet rs = replicaSets.getStore().getByKey(Keys.of(p.getMetadata().getNamespace(), r.getName()));
                    if (rs != null) {
                        owner(rs).filter(d -> !isRolling(d)).ifPresent(d -> queue.add(Keys.of(d)));
                    }
                });
            }
        });
    }

    private void rsChanged(ReplicaSet rs, ReplicaSet old) {
        if (old != null) {
            Optional<OwnerReference> a = ControllerRefs.controllerOf(old);
            Optional<OwnerReference> b = ControllerRefs.controllerOf(rs);
            if (!a.map(OwnerReference::getUid).equals(b.map(OwnerReference::getUid))) {
                owner(old).ifPresent(d -> queue.add(Keys.of(d)));
            }
        }
        Optional<Deployment> d = owner(rs);
        if (d.isPresent()) {
            queue.add(Keys.of(d.get()));
        } else if (ControllerRefs.controllerOf(rs).isEmpty()) {
            for (Deployment x : deployments.getIndexer().byIndex(Informers.namespaceIndex(), rs.getMetadata().getNamespace())) {
                if (selects(x, rs.getMetadata().getLabels())) {
                    queue.add(Keys.of(x));
                }
            }
        }
    }

    private Optional<Deployment> owner(ReplicaSet rs) {
        return ControllerRefs.controllerOf(rs).filter(r -> "Deployment".equals(r.getKind())).map(r -> {
            Deployment d = deployments.getStore().getByKey(Keys.of(rs.getMetadata().getNamespace(), r.getName()));
            return d != null && d.getMetadata().getUid().equals(r.getUid()) ? d : null;
        });
    }

    private static io.kuberaft.kubeapi.LabelSelector selector(Deployment d) {
        return Selectors.of(d.getSpec().getSelector());
    }

    private static boolean selects(Deployment d, Map<String, String> labels) {
        var sel = selector(d);
        return !sel.isEverything() && sel.matches(labels == null ? Map.of() : labels);
    }

    // ---------------------------------------------------------------- sync

    @Override
    public void reconcile(String key) {
        Deployment cached = deployments.getStore().getByKey(key);
        if (cached == null) {
            return;
        }
        Deployment d = Serialization.clone(cached);
        d.setApiVersion("apps/v1");
        d.setKind("Deployment");
        if (d.getStatus() == null) {
            d.setStatus(new DeploymentStatus());
        }
        if (d.getStatus().getConditions() == null) {
            d.getStatus().setConditions(new ArrayList<>());
        }
        if (selector(d).isEverything()) {
            ctx.events().warning(d, "SelectingAll", "This deployment is selecting all pods. A non-empty selector is required.");
            if (d.getStatus().getObservedGeneration() == null || d.getStatus().getObservedGeneration() < d.getMetadata().getGeneration()) {
                d.getStatus().setObservedGeneration(d.getMetadata().getGeneration());
                updateStatus(d);
            }
            return;
        }
        List<ReplicaSet> rsList = claimReplicaSets(d);
        if (d.getMetadata().getDeletionTimestamp() != null) {
            syncStatusOnly(d, rsList);
            return;
        }
        checkPausedConditions(d);
        if (Boolean.TRUE.equals(d.getSpec().getPaused())) {
            sync(d, rsList);
            return;
        }
        if (isScalingEvent(d, rsList)) {
            sync(d, rsList);
            return;
        }
        if (isRolling(d)) {
            rolloutRolling(d, rsList);
        } else {
            rolloutRecreate(d, rsList);
        }
    }

    /** Claim: owned and matching kept; owned and not matching released; matching orphans adopted. */
    private List<ReplicaSet> claimReplicaSets(Deployment d) {
        List<ReplicaSet> out = new ArrayList<>();
        Boolean canAdopt = null;
        for (ReplicaSet rs : replicaSets.getIndexer().byIndex(Informers.namespaceIndex(), d.getMetadata().getNamespace())) {
            boolean matches = selects(d, rs.getMetadata().getLabels());
            Optional<OwnerReference> ref = ControllerRefs.controllerOf(rs);
            if (ref.isPresent()) {
                if (!ref.get().getUid().equals(d.getMetadata().getUid())) {
                    continue;
                }
                if (matches) {
                    out.add(rs);
                } else if (d.getMetadata().getDeletionTimestamp() == null) {
                    patchOwnerRefs(rs, Map.of("$patch", "delete", "uid", d.getMetadata().getUid()));
                }
                continue;
            }
            if (!matches || d.getMetadata().getDeletionTimestamp() != null || rs.getMetadata().getDeletionTimestamp() != null) {
                continue;
            }
            if (canAdopt == null) {
                Deployment fresh = ctx.client().apps().deployments().inNamespace(d.getMetadata().getNamespace())
                        .withName(d.getMetadata().getName()).get();
                canAdopt = fresh != null && fresh.getMetadata().getUid().equals(d.getMetadata().getUid())
                        && fresh.getMetadata().getDeletionTimestamp() == null;
            }
            if (canAdopt && patchOwnerRefs(rs, ControllerRefs.controllerRef(d))) {
                out.add(rs);
            }
        }
        return out;
    }

    private boolean patchOwnerRefs(ReplicaSet rs, Object ref) {
        Map<String, Object> patch = Map.of("metadata", Map.of("ownerReferences", List.of(ref), "uid", rs.getMetadata().getUid()));
        try {
            DirectRequests.patch(ctx.client(),
                    ctx.client().apps().replicaSets().inNamespace(rs.getMetadata().getNamespace()).withName(rs.getMetadata().getName()),
                    PatchType.STRATEGIC_MERGE, Serialization.asJson(patch), null);
            return true;
        } catch (KubernetesClientException e) {
            if (e.getCode() == 404 || e.getCode() == 422) {
                return false;
            }
            throw e;
        }
    }

    private void checkPausedConditions(Deployment d) {
        if (!hasProgressDeadline(d)) {
            return;
        }
        DeploymentCondition cond = condition(d.getStatus(), "Progressing");
        if (cond != null && TIMED_OUT.equals(cond.getReason())) {
            return; // a timed-out rollout stays reported as such
        }
        boolean paused = Boolean.TRUE.equals(d.getSpec().getPaused());
        boolean pausedCond = cond != null && PAUSED.equals(cond.getReason());
        boolean changed = false;
        Instant now = ctx.clock().instant();
        if (paused && !pausedCond) {
            setCondition(d.getStatus(), newCondition("Progressing", "Unknown", PAUSED, "Deployment is paused", now));
            changed = true;
        } else if (!paused && pausedCond) {
            setCondition(d.getStatus(), newCondition("Progressing", "Unknown", RESUMED, "Deployment is resumed", now));
            changed = true;
        }
        if (changed) {
            updateStatus(d);
        }
    }

    private static boolean hasProgressDeadline(Deployment d) {
        Integer s = d.getSpec().getProgressDeadlineSeconds();
        return s != null && s != Integer.MAX_VALUE;
    }

    /** newRS (or null) followed by the old ones: upstream's getAllReplicaSetsAndSyncRevision. */
    private record Sets(ReplicaSet newRS, List<ReplicaSet> oldRSs) {
        List<ReplicaSet> all() {
            List<ReplicaSet> a = new ArrayList<>(oldRSs);
            if (newRS != null) {
                a.add(newRS);
            }
            return a;
        }
    }

    private Sets getAllReplicaSetsAndSyncRevision(Deployment d, List<ReplicaSet> rsList, boolean create) {
        List<ReplicaSet> sorted = new ArrayList<>(rsList);
        sorted.sort(BY_CREATION);
        ReplicaSet existing = sorted.stream().filter(rs -> equalIgnoreHash(rs.getSpec().getTemplate(), d.getSpec().getTemplate()))
                .findFirst().orElse(null);
        List<ReplicaSet> old = new ArrayList<>();
        for (ReplicaSet rs : sorted) {
            if (rs != existing) {
                old.add(rs);
            }
        }
        ReplicaSet newRS = getNewReplicaSet(d, existing, old, create);
        return new Sets(newRS, old);
    }

    private ReplicaSet getNewReplicaSet(Deployment d, ReplicaSet existing, List<ReplicaSet> old, boolean create) {
        String newRevision = String.valueOf(maxRevision(old) + 1);
        Instant now = ctx.clock().instant();
        if (existing != null) {
            ReplicaSet copy = Serialization.clone(existing);
            boolean annotationsUpdated = setNewReplicaSetAnnotations(d, copy, newRevision, true);
            int minReady = d.getSpec().getMinReadySeconds() == null ? 0 : d.getSpec().getMinReadySeconds();
            int rsMinReady = copy.getSpec().getMinReadySeconds() == null ? 0 : copy.getSpec().getMinReadySeconds();
            if (annotationsUpdated || minReady != rsMinReady) {
                copy.getSpec().setMinReadySeconds(minReady);
                // the next sync (on the RS update event) goes on from the updated RS
                return ctx.client().apps().replicaSets().inNamespace(copy.getMetadata().getNamespace()).resource(copy).update();
            }
            boolean needsUpdate = setDeploymentRevision(d, newRevision);
            DeploymentCondition cond = condition(d.getStatus(), "Progressing");
            if (hasProgressDeadline(d) && cond == null) {
                setCondition(d.getStatus(), newCondition("Progressing", "True", FOUND_NEW_RS,
                        "Found new replica set \"" + copy.getMetadata().getName() + "\"", now));
                needsUpdate = true;
            }
            if (needsUpdate) {
                updateStatus(d);
            }
            return copy;
        }
        if (!create) {
            return null;
        }
        Integer collisions = d.getStatus().getCollisionCount();
        String hash = hash(d.getSpec().getTemplate(), collisions);
        PodTemplateSpec template = Serialization.clone(d.getSpec().getTemplate());
        if (template.getMetadata() == null) {
            template.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMeta());
        }
        Map<String, String> labels = new LinkedHashMap<>(template.getMetadata().getLabels() == null ? Map.of() : template.getMetadata().getLabels());
        labels.put(HASH_LABEL, hash);
        template.getMetadata().setLabels(labels);
        LabelSelector sel = new LabelSelectorBuilder(d.getSpec().getSelector()).build();
        Map<String, String> ml = new LinkedHashMap<>(sel.getMatchLabels() == null ? Map.of() : sel.getMatchLabels());
        ml.put(HASH_LABEL, hash);
        sel.setMatchLabels(ml);
        ReplicaSet rs = new ReplicaSetBuilder().withNewMetadata().withName(d.getMetadata().getName() + "-" + hash)
                .withNamespace(d.getMetadata().getNamespace()).withLabels(labels)
                .withOwnerReferences(ControllerRefs.controllerRef(d)).endMetadata()
                .withNewSpec().withReplicas(0).withMinReadySeconds(d.getSpec().getMinReadySeconds() == null ? 0 : d.getSpec().getMinReadySeconds())
                .withSelector(sel).withTemplate(template).endSpec().build();
        List<ReplicaSet> all = new ArrayList<>(old);
        all.add(rs);
        int newReplicas = newRSNewReplicas(d, all, rs);
        rs.getSpec().setReplicas(newReplicas);
        setNewReplicaSetAnnotations(d, rs, newRevision, false);
        ReplicaSet created;
        boolean alreadyExists = false;
        try {
            created = ctx.client().apps().replicaSets().inNamespace(rs.getMetadata().getNamespace()).resource(rs).create();
        } catch (KubernetesClientException e) {
            if (e.getCode() == 409) {
                ReplicaSet there = ctx.client().apps().replicaSets().inNamespace(rs.getMetadata().getNamespace())
                        .withName(rs.getMetadata().getName()).get();
                if (there != null && ControllerRefs.isControlledBy(there, d)
                        && equalIgnoreHash(there.getSpec().getTemplate(), d.getSpec().getTemplate())) {
                    created = there; // our own, not yet in the cache
                    alreadyExists = true;
                } else {
                    // a hash collision: the next name comes from the next collision count
                    d.getStatus().setCollisionCount(collisions == null ? 1 : collisions + 1);
                    updateStatus(d);
                    throw new IllegalStateException("hash collision for replica set " + rs.getMetadata().getName() + ", retrying");
                }
            } else {
                String msg = "Failed to create new replica set \"" + rs.getMetadata().getName() + "\": " + message(e);
                if (hasProgressDeadline(d)) {
                    setCondition(d.getStatus(), newCondition("Progressing", "False", FAILED_RS_CREATE, msg, now));
                    try {
                        updateStatus(d);
                    } catch (RuntimeException ignored) {
                        // the bigger problem is reported below
                    }
                }
                ctx.events().warning(d, FAILED_RS_CREATE, msg);
                throw e;
            }
        }
        if (!alreadyExists && newReplicas > 0) {
            ctx.events().normal(d, "ScalingReplicaSet", "Scaled up replica set " + created.getMetadata().getName() + " from 0 to " + newReplicas);
        }
        boolean needsUpdate = setDeploymentRevision(d, newRevision);
        if (!alreadyExists && hasProgressDeadline(d)) {
            setCondition(d.getStatus(), newCondition("Progressing", "True", NEW_RS_CREATED,
                    "Created new replica set \"" + created.getMetadata().getName() + "\"", now));
            needsUpdate = true;
        }
        if (needsUpdate) {
            updateStatus(d);
        }
        return created;
    }

    /**
     * The deployment's own revision annotation, written through the status subresource as upstream's controller
     * (UpdateStatus): through the main resource the annotation change would bump metadata.generation.
     */
    private boolean setDeploymentRevision(Deployment d, String revision) {
        Map<String, String> a = d.getMetadata().getAnnotations() == null ? new HashMap<>() : new HashMap<>(d.getMetadata().getAnnotations());
        if (revision.equals(a.get(REVISION))) {
            return false;
        }
        a.put(REVISION, revision);
        d.getMetadata().setAnnotations(a);
        Deployment patched = DirectRequests.patch(ctx.client(),
                ctx.client().apps().deployments().inNamespace(d.getMetadata().getNamespace())
                        .withName(d.getMetadata().getName()).subresource("status"),
                PatchType.JSON_MERGE, Serialization.asJson(Map.of("metadata", Map.of("annotations", Map.of(REVISION, revision)))), Deployment.class);
        d.getMetadata().setResourceVersion(patched.getMetadata().getResourceVersion());
        return false; // the status needs no write for it
    }

    static int newRSNewReplicas(Deployment d, List<ReplicaSet> all, ReplicaSet newRS) {
        if (!isRolling(d)) {
            return replicas(d);
        }
        // upstream counts the RSs' spec replicas; pods an old RS still has (its status, before the
        // ReplicaSet controller caught up with a scale-down) count too, so the pods that exist never
        // exceed replicas + maxSurge, not just the specs
        int current = all.stream().mapToInt(rs -> Math.max(spec(rs), statusReplicas(rs))).sum();
        int maxTotal = replicas(d) + maxSurge(d);
        if (current >= maxTotal) {
            return spec(newRS);
        }
        int up = Math.min(maxTotal - current, replicas(d) - spec(newRS));
        return spec(newRS) + up;
    }

    private boolean isScalingEvent(Deployment d, List<ReplicaSet> rsList) {
        Sets s = getAllReplicaSetsAndSyncRevision(d, rsList, false);
        for (ReplicaSet rs : s.all()) {
            if (spec(rs) <= 0) {
                continue;
            }
            String desired = annotation(rs, DESIRED_REPLICAS);
            if (desired != null && parseLong(desired) != replicas(d)) {
                return true;
            }
        }
        return false;
    }

    /** Paused or a scaling event: scale (proportionally), prune history when paused, write status. */
    private void sync(Deployment d, List<ReplicaSet> rsList) {
        Sets s = getAllReplicaSetsAndSyncRevision(d, rsList, false);
        scale(d, s.newRS(), s.oldRSs());
        if (Boolean.TRUE.equals(d.getSpec().getPaused())) {
            cleanup(d, s.oldRSs());
        }
        Sets after = getAllReplicaSetsAndSyncRevision(d, claimedFromCache(d, rsList), false);
        syncDeploymentStatus(d, after.all(), after.newRS());
    }

    /** Fresh copies of the given RSs from the cache (after scaling wrote them). */
    private List<ReplicaSet> claimedFromCache(Deployment d, List<ReplicaSet> rsList) {
        List<ReplicaSet> out = new ArrayList<>();
        for (ReplicaSet rs : rsList) {
            ReplicaSet c = replicaSets.getStore().getByKey(Keys.of(rs));
            out.add(c != null && c.getMetadata().getUid().equals(rs.getMetadata().getUid()) ? c : rs);
        }
        return out;
    }

    private void syncStatusOnly(Deployment d, List<ReplicaSet> rsList) {
        Sets s = getAllReplicaSetsAndSyncRevision(d, rsList, false);
        syncDeploymentStatus(d, s.all(), s.newRS());
    }

    private void scale(Deployment d, ReplicaSet newRS, List<ReplicaSet> oldRSs) {
        List<ReplicaSet> active = new ArrayList<>();
        for (ReplicaSet rs : oldRSs) {
            if (spec(rs) > 0) {
                active.add(rs);
            }
        }
        if (newRS != null && spec(newRS) > 0) {
            active.add(newRS);
        }
        ReplicaSet activeOrLatest = null;
        if (active.size() == 1) {
            activeOrLatest = active.get(0);
        } else if (active.isEmpty()) {
            if (newRS != null) {
                activeOrLatest = newRS;
            } else if (!oldRSs.isEmpty()) {
                activeOrLatest = oldRSs.stream().max(BY_CREATION).get();
            }
        }
        if (activeOrLatest != null) {
            if (spec(activeOrLatest) != replicas(d)) {
                scaleAndRecord(activeOrLatest, replicas(d), d);
            }
            return;
        }
        if (isSaturated(d, newRS)) {
            for (ReplicaSet old : oldRSs) {
                if (spec(old) > 0) {
                    scaleAndRecord(old, 0, d);
                }
            }
            return;
        }
        if (!isRolling(d)) {
            return;
        }
        int allReplicas = active.stream().mapToInt(Rollouts::spec).sum();
        int allowed = replicas(d) > 0 ? replicas(d) + maxSurge(d) : 0;
        int toAdd = allowed - allReplicas;
        Comparator<ReplicaSet> bySize = Comparator.comparingInt(Rollouts::spec).reversed();
        active.sort(toAdd > 0 ? bySize.thenComparing(BY_CREATION.reversed()) : bySize.thenComparing(BY_CREATION));
        Map<String, Integer> sizes = new HashMap<>();
        int added = 0;
        if (toAdd != 0) {
            for (ReplicaSet rs : active) {
                int p = proportion(rs, d, toAdd, added);
                sizes.put(rs.getMetadata().getName(), spec(rs) + p);
                added += p;
            }
        }
        for (int i = 0; i < active.size(); i++) {
            ReplicaSet rs = active.get(i);
            int size = sizes.getOrDefault(rs.getMetadata().getName(), spec(rs));
            if (i == 0 && toAdd != 0) {
                size = Math.max(0, size + toAdd - added);
            }
            scaleReplicaSet(rs, size, d, size > spec(rs) ? "up" : "down");
        }
    }

    private static int proportion(ReplicaSet rs, Deployment d, int toAdd, int added) {
        if (spec(rs) == 0 || toAdd == 0 || toAdd == added) {
            return 0;
        }
        int fraction;
        if (replicas(d) == 0) {
            fraction = -spec(rs);
        } else {
            int deploymentReplicas = replicas(d) + maxSurge(d);
            String maxAnn = annotation(rs, MAX_REPLICAS);
            long annotated = maxAnn != null ? parseLong(maxAnn)
                    : (d.getStatus().getReplicas() == null ? 0 : d.getStatus().getReplicas());
            fraction = annotated == 0 ? 0 : (int) Math.round((double) spec(rs) * deploymentReplicas / annotated) - spec(rs);
        }
        int allowed = toAdd - added;
        return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
    }

    private static boolean isSaturated(Deployment d, ReplicaSet rs) {
        if (rs == null) {
            return false;
        }
        String desired = annotation(rs, DESIRED_REPLICAS);
        return spec(rs) == replicas(d) && desired != null && parseLong(desired) == replicas(d) && available(rs) == replicas(d);
    }

    private boolean scaleAndRecord(ReplicaSet rs, int newScale, Deployment d) {
        if (spec(rs) == newScale) {
            return false;
        }
        return scaleReplicaSet(rs, newScale, d, spec(rs) < newScale ? "up" : "down");
    }

    /** Sets the RS's replicas and its desired/max annotations; the ScalingReplicaSet event when the size changed. */
    private boolean scaleReplicaSet(ReplicaSet rs, int newScale, Deployment d, String op) {
        boolean sizeChanged = spec(rs) != newScale;
        ReplicaSet copy = Serialization.clone(rs);
        Map<String, String> a = copy.getMetadata().getAnnotations() == null ? new HashMap<>() : new HashMap<>(copy.getMetadata().getAnnotations());
        boolean annotationsChanged = setReplicasAnnotations(a, replicas(d), replicas(d) + maxSurge(d));
        if (!sizeChanged && !annotationsChanged) {
            return false;
        }
        int oldScale = spec(rs);
        copy.getMetadata().setAnnotations(a);
        copy.getSpec().setReplicas(newScale);
        ctx.client().apps().replicaSets().inNamespace(copy.getMetadata().getNamespace()).resource(copy).update();
        if (sizeChanged) {
            // upstream 1.32's wording (sync.go scaleReplicaSet): old size first
            ctx.events().normal(d, "ScalingReplicaSet", "Scaled " + op + " replica set " + rs.getMetadata().getName()
                    + " from " + oldScale + " to " + newScale);
        }
        return sizeChanged;
    }

    // ---------------------------------------------------------------- strategies

    private void rolloutRolling(Deployment d, List<ReplicaSet> rsList) {
        Sets s = getAllReplicaSetsAndSyncRevision(d, rsList, true);
        ReplicaSet newRS = s.newRS();
        List<ReplicaSet> all = s.all();
        if (reconcileNewReplicaSet(all, newRS, d)) {
            syncRolloutStatus(d, all, newRS);
            return;
        }
        List<ReplicaSet> activeOld = s.oldRSs().stream().filter(rs -> spec(rs) > 0).toList();
        if (reconcileOldReplicaSets(all, activeOld, newRS, d)) {
            syncRolloutStatus(d, all, newRS);
            return;
        }
        if (complete(d, calculateStatus(all, newRS, d))) {
            cleanup(d, s.oldRSs());
        }
        syncRolloutStatus(d, all, newRS);
    }

    private boolean reconcileNewReplicaSet(List<ReplicaSet> all, ReplicaSet newRS, Deployment d) {
        if (spec(newRS) == replicas(d)) {
            return false;
        }
        if (spec(newRS) > replicas(d)) {
            return scaleAndRecord(newRS, replicas(d), d);
        }
        return scaleAndRecord(newRS, newRSNewReplicas(d, all, newRS), d);
    }

    private boolean reconcileOldReplicaSets(List<ReplicaSet> all, List<ReplicaSet> oldRSs, ReplicaSet newRS, Deployment d) {
        int oldPods = oldRSs.stream().mapToInt(Rollouts::spec).sum();
        if (oldPods == 0) {
            return false;
        }
        int allPods = all.stream().mapToInt(Rollouts::spec).sum();
        int minAvailable = replicas(d) - maxUnavailable(d);
        int newUnavailable = spec(newRS) - available(newRS);
        int maxScaledDown = allPods - minAvailable - newUnavailable;
        if (maxScaledDown <= 0) {
            return false;
        }
        // first the unhealthy replicas of old RSs, oldest first: they cost no availability
        List<ReplicaSet> olds = new ArrayList<>(oldRSs);
        olds.sort(BY_CREATION);
        int cleaned = 0;
        for (int i = 0; i < olds.size() && cleaned < maxScaledDown; i++) {
            ReplicaSet rs = olds.get(i);
            // available above spec is a status that has not caught up with a scale-down yet: nothing unhealthy to
            // clean, and spec - available < 0 would scale the old RS back up (upstream refuses it with an error)
            if (spec(rs) == 0 || spec(rs) <= available(rs)) {
                continue;
            }
            int n = Math.min(maxScaledDown - cleaned, spec(rs) - available(rs));
            int target = spec(rs) - n;
            scaleAndRecord(rs, target, d);
            cleaned += n;
            ReplicaSet updated = Serialization.clone(rs);
            updated.getSpec().setReplicas(target);
            olds.set(i, updated);
        }
        List<ReplicaSet> allAfter = new ArrayList<>(olds);
        if (newRS != null) {
            allAfter.add(newRS);
        }
        // then as many as availability allows. A status that lags a scale-down still counts pods the RS is about to
        // delete: only min(spec, available) of its pods stay available (upstream sums the status and can, for a
        // moment, go below replicas - maxUnavailable)
        int availableNow = allAfter.stream().mapToInt(rs -> Math.min(spec(rs), available(rs))).sum();
        int scaledDown = 0;
        if (availableNow > minAvailable) {
            int total = availableNow - minAvailable;
            for (ReplicaSet rs : olds) {
                if (scaledDown >= total) {
                    break;
                }
                if (spec(rs) == 0) {
                    continue;
                }
                int n = Math.min(spec(rs), total - scaledDown);
                scaleAndRecord(rs, spec(rs) - n, d);
                scaledDown += n;
            }
        }
        return cleaned + scaledDown > 0;
    }

    private void rolloutRecreate(Deployment d, List<ReplicaSet> rsList) {
        Sets s = getAllReplicaSetsAndSyncRevision(d, rsList, false);
        boolean scaledDown = false;
        for (ReplicaSet rs : s.oldRSs()) {
            if (spec(rs) > 0) {
                scaledDown |= scaleAndRecord(rs, 0, d);
            }
        }
        if (scaledDown) {
            syncRolloutStatus(d, s.all(), s.newRS());
            return;
        }
        if (oldPodsRunning(s.newRS(), s.oldRSs())) {
            syncRolloutStatus(d, s.all(), s.newRS());
            return;
        }
        if (s.newRS() == null) {
            s = getAllReplicaSetsAndSyncRevision(d, rsList, true);
        }
        scaleAndRecord(s.newRS(), replicas(d), d);
        if (complete(d, calculateStatus(s.all(), s.newRS(), d))) {
            cleanup(d, s.oldRSs());
        }
        syncRolloutStatus(d, s.all(), s.newRS());
    }

    private boolean oldPodsRunning(ReplicaSet newRS, List<ReplicaSet> oldRSs) {
        if (oldRSs.stream().mapToInt(Rollouts::statusReplicas).sum() > 0) {
            return true;
        }
        for (ReplicaSet rs : oldRSs) {
            for (Pod p : pods.getIndexer().byIndex(Informers.namespaceIndex(), rs.getMetadata().getNamespace())) {
                if (!ControllerRefs.isControlledBy(p, rs)) {
                    continue;
                }
                String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
                if (!"Failed".equals(phase) && !"Succeeded".equals(phase)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Deletes old, empty, settled RSs beyond revisionHistoryLimit, lowest revisions first. */
    private void cleanup(Deployment d, List<ReplicaSet> oldRSs) {
        Integer limit = d.getSpec().getRevisionHistoryLimit();
        if (limit == null) {
            return;
        }
        List<ReplicaSet> cleanable = new ArrayList<>();
        for (ReplicaSet rs : oldRSs) {
            long observed = rs.getStatus() == null || rs.getStatus().getObservedGeneration() == null ? 0 : rs.getStatus().getObservedGeneration();
            if (rs.getMetadata().getDeletionTimestamp() == null && spec(rs) == 0 && statusReplicas(rs) == 0
                    && rs.getMetadata().getGeneration() != null && rs.getMetadata().getGeneration() <= observed) {
                cleanable.add(rs);
            }
        }
        int diff = cleanable.size() - limit;
        if (diff <= 0) {
            return;
        }
        cleanable.sort(Comparator.comparingLong(Rollouts::revision).thenComparing(BY_CREATION));
        for (int i = 0; i < diff; i++) {
            ReplicaSet rs = cleanable.get(i);
            try {
                ctx.client().apps().replicaSets().inNamespace(rs.getMetadata().getNamespace()).withName(rs.getMetadata().getName()).delete();
            } catch (KubernetesClientException e) {
                if (e.getCode() != 404) {
                    throw e;
                }
            }
        }
    }

    // ---------------------------------------------------------------- status

    private DeploymentStatus calculateStatus(List<ReplicaSet> all, ReplicaSet newRS, Deployment d) {
        int available = all.stream().mapToInt(Rollouts::available).sum();
        int total = all.stream().mapToInt(Rollouts::spec).sum();
        DeploymentStatus s = new DeploymentStatus();
        s.setObservedGeneration(d.getMetadata().getGeneration());
        // omitempty upstream: counts of 0 are left out of the status
        s.setReplicas(nonZero(all.stream().mapToInt(Rollouts::statusReplicas).sum()));
        s.setUpdatedReplicas(nonZero(statusReplicas(newRS)));
        s.setReadyReplicas(nonZero(all.stream().mapToInt(Rollouts::ready).sum()));
        s.setAvailableReplicas(nonZero(available));
        s.setUnavailableReplicas(nonZero(Math.max(0, total - available)));
        s.setCollisionCount(d.getStatus().getCollisionCount());
        s.setConditions(new ArrayList<>());
        for (DeploymentCondition c : d.getStatus().getConditions()) {
            s.getConditions().add(Serialization.clone(c));
        }
        Instant now = ctx.clock().instant();
        if (available >= replicas(d) - maxUnavailable(d)) {
            setCondition(s, newCondition("Available", "True", MIN_AVAILABLE, "Deployment has minimum availability.", now));
        } else {
            setCondition(s, newCondition("Available", "False", MIN_UNAVAILABLE, "Deployment does not have minimum availability.", now));
        }
        return s;
    }

    private static Integer nonZero(int v) {
        return v == 0 ? null : v;
    }

    private static boolean complete(Deployment d, DeploymentStatus s) {
        int r = replicas(d);
        return n(s.getUpdatedReplicas()) == r && n(s.getReplicas()) == r && n(s.getAvailableReplicas()) == r
                && s.getObservedGeneration() != null && s.getObservedGeneration() >= d.getMetadata().getGeneration();
    }

    private static boolean progressing(Deployment d, DeploymentStatus s) {
        DeploymentStatus o = d.getStatus();
        int oldOld = n(o.getReplicas()) - n(o.getUpdatedReplicas());
        int newOld = n(s.getReplicas()) - n(s.getUpdatedReplicas());
        return n(s.getUpdatedReplicas()) > n(o.getUpdatedReplicas()) || newOld < oldOld
                || n(s.getReadyReplicas()) > n(o.getReadyReplicas()) || n(s.getAvailableReplicas()) > n(o.getAvailableReplicas());
    }

    private boolean timedOut(Deployment d, DeploymentStatus s) {
        if (!hasProgressDeadline(d)) {
            return false;
        }
        DeploymentCondition c = condition(s, "Progressing");
        if (c == null || NEW_RS_AVAILABLE.equals(c.getReason())) {
            return false;
        }
        if (TIMED_OUT.equals(c.getReason())) {
            return true;
        }
        Instant from = Instant.parse(c.getLastUpdateTime());
        return from.plusSeconds(d.getSpec().getProgressDeadlineSeconds()).isBefore(ctx.clock().instant());
    }

    private static int n(Integer i) {
        return i == null ? 0 : i;
    }

    private void syncRolloutStatus(Deployment d, List<ReplicaSet> all, ReplicaSet newRS) {
        DeploymentStatus s = calculateStatus(all, newRS, d);
        if (!hasProgressDeadline(d)) {
            removeCondition(s, "Progressing");
        }
        DeploymentCondition current = condition(s, "Progressing");
        boolean isComplete = n(s.getReplicas()) == n(s.getUpdatedReplicas()) && current != null && NEW_RS_AVAILABLE.equals(current.getReason());
        Instant now = ctx.clock().instant();
        if (hasProgressDeadline(d) && !isComplete) {
            String what = newRS != null ? "ReplicaSet \"" + newRS.getMetadata().getName() + "\"" : "Deployment \"" + d.getMetadata().getName() + "\"";
            if (complete(d, s)) {
                setCondition(s, newCondition("Progressing", "True", NEW_RS_AVAILABLE, what + " has successfully progressed.", now));
            } else if (progressing(d, s)) {
                DeploymentCondition c = newCondition("Progressing", "True", RS_UPDATED, what + " is progressing.", now);
                if (current != null) {
                    if ("True".equals(current.getStatus())) {
                        c.setLastTransitionTime(current.getLastTransitionTime());
                    }
                    removeCondition(s, "Progressing");
                }
                setCondition(s, c);
            } else if (timedOut(d, s)) {
                setCondition(s, newCondition("Progressing", "False", TIMED_OUT, what + " has timed out progressing.", now));
            }
        }
        ReplicaSetCondition failure = all.stream().filter(rs -> rs.getStatus() != null && rs.getStatus().getConditions() != null)
                .flatMap(rs -> rs.getStatus().getConditions().stream()).filter(c -> "ReplicaFailure".equals(c.getType()))
                .findFirst().orElse(null);
        if (failure != null) {
            DeploymentCondition c = newCondition("ReplicaFailure", failure.getStatus(), failure.getReason(), failure.getMessage(), now);
            setCondition(s, c);
        } else {
            removeCondition(s, "ReplicaFailure");
        }
        if (sameStatus(d.getStatus(), s)) {
            requeueStuck(d, s);
            return;
        }
        d.setStatus(s);
        updateStatus(d);
        requeueStuck(d, s);
    }

    private void requeueStuck(Deployment d, DeploymentStatus s) {
        DeploymentCondition c = condition(s, "Progressing");
        if (!hasProgressDeadline(d) || c == null || complete(d, s) || TIMED_OUT.equals(c.getReason())) {
            return;
        }
        long after = Instant.parse(c.getLastUpdateTime()).plusSeconds(d.getSpec().getProgressDeadlineSeconds()).toEpochMilli()
                - ctx.clock().millis();
        queue.addAfter(Keys.of(d), after < 1000 ? 0 : after + 1000);
    }

    private void syncDeploymentStatus(Deployment d, List<ReplicaSet> all, ReplicaSet newRS) {
        DeploymentStatus s = calculateStatus(all, newRS, d);
        if (sameStatus(d.getStatus(), s)) {
            return;
        }
        d.setStatus(s);
        updateStatus(d);
    }

    private static boolean sameStatus(DeploymentStatus a, DeploymentStatus b) {
        return Objects.equals(Serialization.jsonMapper().valueToTree(a), Serialization.jsonMapper().valueToTree(b));
    }

    private void updateStatus(Deployment d) {
        Deployment updated = ctx.client().apps().deployments().inNamespace(d.getMetadata().getNamespace()).resource(d).updateStatus();
        d.getMetadata().setResourceVersion(updated.getMetadata().getResourceVersion());
    }

    private static String message(KubernetesClientException e) {
        return e.getStatus() != null && e.getStatus().getMessage() != null ? e.getStatus().getMessage() : e.getMessage();
    }
}
