package io.kuberaft.controllers.statefulset;

import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.apps.ControllerRevision;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatus;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.kuberaft.controllers.runtime.Controller;
import io.kuberaft.controllers.runtime.ControllerContext;
import io.kuberaft.controllers.runtime.ControllerRefs;
import io.kuberaft.controllers.runtime.Informers;
import io.kuberaft.controllers.runtime.Keys;
import io.kuberaft.controllers.runtime.NameExpectations;
import io.kuberaft.controllers.runtime.PodControl;
import io.kuberaft.controllers.runtime.PodControllerRefManager;
import io.kuberaft.controllers.runtime.Pods;
import io.kuberaft.controllers.runtime.Selectors;
import io.kuberaft.controllers.runtime.TemplateRevisions;
import io.kuberaft.controllers.runtime.WorkQueue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The StatefulSet controller, as upstream 1.32's: pods {@code <set>-<ordinal>} with stable identity
 * (hostname, subdomain from serviceName, the pod-name and pod-index labels), PVCs
 * {@code <claim>-<set>-<ordinal>} from volumeClaimTemplates made before their pod, kept or handed to the garbage collector
 * by persistentVolumeClaimRetentionPolicy ({@link ClaimRetention});
 * OrderedReady (one at a time, each Running and Ready before the next, scale-down from the highest
 * ordinal) or Parallel; RollingUpdate from the highest ordinal down to the partition, or OnDelete;
 * ControllerRevisions and upstream's status and event wording.
 */
public final class StatefulSetController implements Controller {
    public static final String POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name";
    public static final String POD_INDEX_LABEL = "apps.kubernetes.io/pod-index";

    private ControllerContext ctx;
    private WorkQueue queue;
    private SharedIndexInformer<StatefulSet> sets;
    private SharedIndexInformer<Pod> pods;
    private SharedIndexInformer<ControllerRevision> revisions;
    private SharedIndexInformer<PersistentVolumeClaim> claims;
    private final NameExpectations creations = new NameExpectations();
    private final NameExpectations deletions = new NameExpectations();

    @Override
    public String name() {
        return "statefulset-controller";
    }

    @Override
    public void register(ControllerContext ctx, WorkQueue queue) {
        this.ctx = ctx;
        this.queue = queue;
        this.sets = ctx.informers().of(StatefulSet.class);
        this.pods = ctx.informers().of(Pod.class);
        this.revisions = ctx.informers().of(ControllerRevision.class);
        this.claims = ctx.informers().of(PersistentVolumeClaim.class);
        // a claim whose owner references we changed (or someone else did) is looked at again with its set
        claims.addEventHandler(Keys.on(this::enqueueClaimsSets));
        sets.addEventHandler(Keys.enqueue(queue));
        pods.addEventHandler(Keys.on(p -> {
            Optional<OwnerReference> ref = ControllerRefs.controllerOf(p);
            if (ref.isPresent()) {
                if ("StatefulSet".equals(ref.get().getKind())) {
                    String key = Keys.of(p.getMetadata().getNamespace(), ref.get().getName());
                    creations.observed(key, p.getMetadata().getName());
                    queue.add(key);
                }
                return;
            }
            // an orphan: the set whose pod it would be (by name) may adopt it
            String name = p.getMetadata().getName();
            int dash = name.lastIndexOf('-');
            if (dash > 0 && ordinal(name.substring(0, dash), name) >= 0) {
                String key = Keys.of(p.getMetadata().getNamespace(), name.substring(0, dash));
                if (sets.getStore().getByKey(key) != null) {
                    queue.add(key);
                }
            }
        }));
    }

    /**
     * upstream's getPodsForStatefulSet: the set's pods are those named after it (set-ordinal) it controls, after
     * adopting such pods its selector matches that have no controller (left by a `delete --cascade=orphan` of an
     * earlier set of that name) and releasing those whose labels no longer match.
     */
    private List<Pod> claim(StatefulSet set) {
        String ns = set.getMetadata().getNamespace();
        String name = set.getMetadata().getName();
        return new PodControllerRefManager(ctx.client(), set, ControllerRefs.controllerRef(set, "apps/v1", "StatefulSet"),
                Selectors.of(set.getSpec().getSelector()),
                () -> ctx.client().apps().statefulSets().inNamespace(ns).withName(name).get())
                .claim(pods.getIndexer().byIndex(Informers.namespaceIndex(), ns), p -> ordinal(name, p.getMetadata().getName()) >= 0);
    }

    @Override
    public void reconcile(String key) {
        StatefulSet set = sets.getStore().getByKey(key);
        if (set == null) {
            creations.forget(key);
            deletions.forget(key);
            return;
        }
        if (set.getMetadata().getDeletionTimestamp() != null) {
            return;
        }
        String ns = set.getMetadata().getNamespace();
        String name = set.getMetadata().getName();
        List<Pod> owned = claim(set);
        List<ControllerRevision> history = revisions.getIndexer().byIndex(Informers.namespaceIndex(), ns).stream()
                .filter(r -> ControllerRefs.isControlledBy(r, set)).toList();
        ControllerRevision update = TemplateRevisions.current(ctx.client(), set, set.getSpec().getTemplate(),
                set.getSpec().getTemplate().getMetadata().getLabels(), history);
        String updateRevision = update.getMetadata().getName();
        StatefulSetStatus old = set.getStatus() == null ? new StatefulSetStatus() : set.getStatus();
        String currentRevision = old.getCurrentRevision() == null ? updateRevision : old.getCurrentRevision();

        int replicas = set.getSpec().getReplicas() == null ? 1 : set.getSpec().getReplicas();
        Map<Integer, Pod> byOrdinal = new HashMap<>();
        List<Pod> condemned = new ArrayList<>();
        for (Pod p : owned) {
            int ord = ordinal(name, p.getMetadata().getName());
            if (ord < 0) {
                continue;
            }
            if (ord < replicas) {
                byOrdinal.put(ord, p);
            } else {
                condemned.add(p);
            }
        }
        condemned.sort((a, b) -> Integer.compare(ordinal(name, b.getMetadata().getName()), ordinal(name, a.getMetadata().getName())));
        boolean parallel = "Parallel".equals(set.getSpec().getPodManagementPolicy());
        boolean expectationsMet = creations.satisfied(key, n -> owned.stream().anyMatch(p -> p.getMetadata().getName().equals(n)))
                && deletions.satisfied(key, n -> owned.stream().noneMatch(p -> p.getMetadata().getName().equals(n) && !Pods.terminating(p)));
        if (expectationsMet) {
            // claims first: a condemned pod's claim must be its dependent before the pod goes
            for (Pod p : owned) {
                retainOrRelease(set, p, ordinal(name, p.getMetadata().getName()) >= replicas);
            }
            manage(set, key, replicas, byOrdinal, condemned, parallel, updateRevision, currentRevision);
        }

        // status from what is observed
        Instant now = ctx.clock().instant();
        int minReady = set.getSpec().getMinReadySeconds() == null ? 0 : set.getSpec().getMinReadySeconds();
        int count = 0;
        int ready = 0;
        int available = 0;
        long untilAvailable = Long.MAX_VALUE;
        int current = 0;
        int updated = 0;
        for (Pod p : owned) {
            if (ordinal(name, p.getMetadata().getName()) < 0 || Pods.terminating(p)) {
                continue;
            }
            count++;
            if (Pods.ready(p)) {
                ready++;
            }
            if (Pods.available(p, minReady, now)) {
                available++;
            } else if (Pods.ready(p)) {
                long wait = io.kuberaft.controllers.replicaset.Pods.millisUntilAvailable(p, minReady, now);
                if (wait > 0) {
                    untilAvailable = Math.min(untilAvailable, wait);
                }
            }
            String rev = p.getMetadata().getLabels() == null ? null : p.getMetadata().getLabels().get(TemplateRevisions.HASH_LABEL);
            if (currentRevision.equals(rev)) {
                current++;
            }
            if (updateRevision.equals(rev)) {
                updated++;
            }
        }
        StatefulSetStatus st = new StatefulSetStatus();
        st.setObservedGeneration(set.getMetadata().getGeneration());
        st.setReplicas(count);
        st.setReadyReplicas(ready);
        st.setAvailableReplicas(available);
        st.setCurrentReplicas(current);
        st.setUpdatedReplicas(updated);
        st.setCollisionCount(old.getCollisionCount() == null ? 0 : old.getCollisionCount());
        // the update is complete once every replica runs the update revision
        if (updated == replicas && count == replicas && ready == replicas) {
            st.setCurrentRevision(updateRevision);
            st.setCurrentReplicas(updated);
        } else {
            st.setCurrentRevision(currentRevision);
        }
        st.setUpdateRevision(updateRevision);
        st.setConditions(old.getConditions());
        if (!Objects.equals(st, set.getStatus())) {
            StatefulSet copy = ctx.client().getKubernetesSerialization().clone(set);
            copy.setStatus(st);
            try {
                ctx.client().resources(StatefulSet.class).inNamespace(ns).resource(copy).updateStatus();
            } catch (KubernetesClientException e) {
                if (e.getCode() != 404) {
                    throw e;
                }
            }
        }
        if (untilAvailable != Long.MAX_VALUE) {
            // no event marks the moment a ready pod has been ready for minReadySeconds: look again then (upstream's
            // enqueueSSAfter), or availableReplicas would wait for an unrelated change
            queue.addAfter(key, untilAvailable + 100);
        }
        int limit = set.getSpec().getRevisionHistoryLimit() == null ? 10 : set.getSpec().getRevisionHistoryLimit();
        Set<String> live = new HashSet<>(List.of(updateRevision, st.getCurrentRevision()));
        TemplateRevisions.prune(ctx.client(), history, live, limit);
    }

    private void manage(StatefulSet set, String key, int replicas, Map<Integer, Pod> byOrdinal, List<Pod> condemned, boolean parallel,
                        String updateRevision, String currentRevision) {
        String name = set.getMetadata().getName();
        var strategy = set.getSpec().getUpdateStrategy();
        boolean onDelete = strategy != null && "OnDelete".equals(strategy.getType());
        int partition = strategy == null || strategy.getRollingUpdate() == null || strategy.getRollingUpdate().getPartition() == null
                ? 0 : strategy.getRollingUpdate().getPartition();
        // 1. replicas below the count: create missing ones (ordinals below the partition keep the current revision)
        for (int i = 0; i < replicas; i++) {
            Pod p = byOrdinal.get(i);
            if (p != null && Pods.failed(p) && !Pods.terminating(p)) {
                delete(set, key, p);
                if (!parallel) {
                    return;
                }
                continue;
            }
            if (p == null) {
                String rev = onDelete || i < partition ? currentRevision : updateRevision;
                create(set, key, i, rev.equals(updateRevision) ? set.getSpec().getTemplate() : templateOf(rev, set), rev);
                if (!parallel) {
                    return;
                }
                continue;
            }
            if (!parallel && (Pods.terminating(p) || !Pods.running(p) || !Pods.ready(p))) {
                return; // OrderedReady: wait for this one before going further
            }
        }
        // 2. condemned ordinals go, the highest first (OrderedReady: one at a time, only when all others are healthy)
        for (Pod p : condemned) {
            if (Pods.terminating(p)) {
                if (!parallel) {
                    return;
                }
                continue;
            }
            if (!parallel && byOrdinal.values().stream().anyMatch(x -> Pods.terminating(x) || !Pods.running(x) || !Pods.ready(x))) {
                return;
            }
            delete(set, key, p);
            if (!parallel) {
                return;
            }
        }
        if (onDelete) {
            return;
        }
        // 3. rolling update: from the highest ordinal down to the partition, one at a time, all others healthy
        for (int i = replicas - 1; i >= partition; i--) {
            Pod p = byOrdinal.get(i);
            if (p == null) {
                return;
            }
            String rev = p.getMetadata().getLabels() == null ? null : p.getMetadata().getLabels().get(TemplateRevisions.HASH_LABEL);
            if (!updateRevision.equals(rev)) {
                if (byOrdinal.values().stream().allMatch(x -> !Pods.terminating(x) && Pods.running(x) && Pods.ready(x))) {
                    delete(set, key, p);
                }
                return;
            }
            if (Pods.terminating(p) || !Pods.ready(p)) {
                return;
            }
        }
    }

    /** The template a revision restores (for ordinals held back at the current revision). */
    private io.fabric8.kubernetes.api.model.PodTemplateSpec templateOf(String revision, StatefulSet set) {
        ControllerRevision r = revisions.getStore().getByKey(Keys.of(set.getMetadata().getNamespace(), revision));
        if (r == null || r.getData() == null) {
            return set.getSpec().getTemplate();
        }
        var ser = ctx.client().getKubernetesSerialization();
        @SuppressWarnings("unchecked")
        Map<String, Object> data = ser.convertValue(r.getData(), Map.class);
        @SuppressWarnings("unchecked")
        Map<String, Object> tmpl = new HashMap<>((Map<String, Object>) ((Map<String, Object>) data.get("spec")).get("template"));
        tmpl.remove("$patch");
        return ser.convertValue(tmpl, io.fabric8.kubernetes.api.model.PodTemplateSpec.class);
    }

    private void create(StatefulSet set, String key, int ordinal, io.fabric8.kubernetes.api.model.PodTemplateSpec template, String revision) {
        String setName = set.getMetadata().getName();
        String podName = setName + "-" + ordinal;
        Map<String, String> extra = new HashMap<>();
        extra.put(POD_NAME_LABEL, podName);
        extra.put(POD_INDEX_LABEL, String.valueOf(ordinal));
        extra.put(TemplateRevisions.HASH_LABEL, revision);
        Pod pod = PodControl.fromTemplate(template, set, null, podName, extra);
        PodSpec spec = ctx.client().getKubernetesSerialization().clone(pod.getSpec());
        spec.setHostname(podName);
        if (set.getSpec().getServiceName() != null && !set.getSpec().getServiceName().isEmpty()) {
            spec.setSubdomain(set.getSpec().getServiceName());
        }
        List<Volume> volumes = new ArrayList<>(spec.getVolumes() == null ? List.of() : spec.getVolumes());
        for (PersistentVolumeClaim t : set.getSpec().getVolumeClaimTemplates() == null ? List.<PersistentVolumeClaim>of()
                : set.getSpec().getVolumeClaimTemplates()) {
            String claim = t.getMetadata().getName() + "-" + podName;
            ensureClaim(set, t, claim, podName);
            volumes.removeIf(v -> v.getName().equals(t.getMetadata().getName()));
            volumes.add(new VolumeBuilder().withName(t.getMetadata().getName()).withNewPersistentVolumeClaim().withClaimName(claim)
                    .endPersistentVolumeClaim().build());
        }
        spec.setVolumes(volumes);
        pod.setSpec(spec);
        try {
            ctx.client().pods().inNamespace(set.getMetadata().getNamespace()).resource(pod).create();
            creations.expect(key, podName);
            ctx.events().normal(set, "SuccessfulCreate", "create Pod " + podName + " in StatefulSet " + setName + " successful");
        } catch (KubernetesClientException e) {
            if (e.getCode() == 409) {
                return; // our cache is behind
            }
            ctx.events().warning(set, "FailedCreate", "create Pod " + podName + " in StatefulSet " + setName + " failed error: " + e.getMessage());
            throw e;
        }
    }

    /** The sets a claim named {@code <template>-<set>-<ordinal>} belongs to. */
    private void enqueueClaimsSets(PersistentVolumeClaim c) {
        String ns = c.getMetadata().getNamespace();
        String claim = c.getMetadata().getName();
        for (StatefulSet set : sets.getStore().list()) {
            if (!ns.equals(set.getMetadata().getNamespace()) || set.getSpec().getVolumeClaimTemplates() == null) {
                continue;
            }
            for (PersistentVolumeClaim t : set.getSpec().getVolumeClaimTemplates()) {
                String prefix = t.getMetadata().getName() + "-" + set.getMetadata().getName() + "-";
                if (claim.startsWith(prefix) && claim.substring(prefix.length()).matches("\\d+")) {
                    queue.add(Keys.of(ns, set.getMetadata().getName()));
                }
            }
        }
    }

    /** Sets the owner references {@link ClaimRetention} wants on the pod's claims. */
    private void retainOrRelease(StatefulSet set, Pod pod, boolean scaledDown) {
        String ns = set.getMetadata().getNamespace();
        for (PersistentVolumeClaim t : set.getSpec().getVolumeClaimTemplates() == null ? List.<PersistentVolumeClaim>of()
                : set.getSpec().getVolumeClaimTemplates()) {
            PersistentVolumeClaim claim = claims.getStore().getByKey(Keys.of(ns, t.getMetadata().getName() + "-" + pod.getMetadata().getName()));
            if (claim == null || claim.getMetadata().getDeletionTimestamp() != null) {
                continue;
            }
            List<OwnerReference> wanted = ClaimRetention.wanted(set, claim, pod, scaledDown);
            if (ClaimRetention.matches(claim, wanted)) {
                continue;
            }
            PersistentVolumeClaim copy = ctx.client().getKubernetesSerialization().clone(claim);
            copy.getMetadata().setOwnerReferences(wanted.isEmpty() ? null : wanted);
            // with the cached resourceVersion: a stale cache is a 409, and the claim's event brings us back
            ctx.client().persistentVolumeClaims().inNamespace(ns).resource(copy).update();
        }
    }

    private void ensureClaim(StatefulSet set, PersistentVolumeClaim template, String claim, String podName) {
        String ns = set.getMetadata().getNamespace();
        if (claims.getStore().getByKey(Keys.of(ns, claim)) != null) {
            return;
        }
        Map<String, String> labels = new HashMap<>(template.getMetadata().getLabels() == null ? Map.of() : template.getMetadata().getLabels());
        if (set.getSpec().getSelector() != null && set.getSpec().getSelector().getMatchLabels() != null) {
            labels.putAll(set.getSpec().getSelector().getMatchLabels());
        }
        PersistentVolumeClaim pvc = new PersistentVolumeClaimBuilder().withNewMetadata().withName(claim).withNamespace(ns)
                .withLabels(labels).withAnnotations(template.getMetadata().getAnnotations()).endMetadata()
                .withSpec(ctx.client().getKubernetesSerialization().clone(template.getSpec())).build();
        List<OwnerReference> refs = ClaimRetention.wanted(set, pvc, null, false);
        pvc.getMetadata().setOwnerReferences(refs.isEmpty() ? null : refs);
        try {
            ctx.client().persistentVolumeClaims().inNamespace(ns).resource(pvc).create();
            ctx.events().normal(set, "SuccessfulCreate", "create Claim " + claim + " Pod " + podName + " in StatefulSet "
                    + set.getMetadata().getName() + " success");
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                ctx.events().warning(set, "FailedCreate", "create Claim " + claim + " for Pod " + podName + " in StatefulSet "
                        + set.getMetadata().getName() + " failed error: " + e.getMessage());
                throw e;
            }
        }
    }

    private void delete(StatefulSet set, String key, Pod p) {
        deletions.expect(key, p.getMetadata().getName());
        try {
            ctx.client().pods().inNamespace(p.getMetadata().getNamespace()).withName(p.getMetadata().getName()).delete();
            ctx.events().normal(set, "SuccessfulDelete", "delete Pod " + p.getMetadata().getName() + " in StatefulSet "
                    + set.getMetadata().getName() + " successful");
        } catch (KubernetesClientException e) {
            deletions.observed(key, p.getMetadata().getName());
            if (e.getCode() != 404) {
                throw e;
            }
        }
    }

    /** The ordinal of {@code pod} in set {@code set}, or −1 when the name is not {@code <set>-<n>}. */
    static int ordinal(String set, String pod) {
        if (!pod.startsWith(set + "-")) {
            return -1;
        }
        String n = pod.substring(set.length() + 1);
        if (!n.matches("0|[1-9][0-9]{0,8}")) {
            return -1;
        }
        return Integer.parseInt(n);
    }
}
