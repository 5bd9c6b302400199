package io.kuberaft.controllers.daemonset;

import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.NodeAffinity;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirementBuilder;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import io.fabric8.kubernetes.api.model.NodeSelectorTermBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.api.model.apps.ControllerRevision;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetStatus;
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
import io.kuberaft.kubeapi.LabelSelector;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The DaemonSet controller, as upstream 1.32's: one pod per eligible node (nodeSelector, required node
 * affinity, taints against the pod's tolerations plus the automatic DaemonSet ones), made with a
 * {@code matchFields metadata.name In [node]} node affinity for the scheduler to bind; pods follow node
 * changes; RollingUpdate (maxUnavailable) and OnDelete through ControllerRevisions and the
 * {@code controller-revision-hash} label; upstream's status counts.
 */
public final class DaemonSetController implements Controller {
    static final String TEMPLATE_GENERATION = "pod-template-generation";

    private ControllerContext ctx;
    private WorkQueue queue;
    private SharedIndexInformer<DaemonSet> sets;
    private SharedIndexInformer<Pod> pods;
    private SharedIndexInformer<Node> nodes;
    private SharedIndexInformer<ControllerRevision> revisions;
    private PodControl podControl;
    private final NameExpectations creations = new NameExpectations();
    private final NameExpectations deletions = new NameExpectations();

    @Override
    public String name() {
        return "daemonset-controller";
    }

    @Override
    public void register(ControllerContext ctx, WorkQueue queue) {
        this.ctx = ctx;
        this.queue = queue;
        this.sets = ctx.informers().of(DaemonSet.class);
        this.pods = ctx.informers().of(Pod.class);
        this.nodes = ctx.informers().of(Node.class);
        this.revisions = ctx.informers().of(ControllerRevision.class);
        this.podControl = new PodControl(ctx.client(), ctx.events());
        sets.addEventHandler(Keys.enqueue(queue));
        pods.addEventHandler(Keys.on(p -> {
            Optional<OwnerReference> ref = ControllerRefs.controllerOf(p);
            if (ref.isPresent()) {
                if ("DaemonSet".equals(ref.get().getKind())) {
                    String key = Keys.of(p.getMetadata().getNamespace(), ref.get().getName());
                    creations.observed(key, p.getMetadata().getName());
                    queue.add(key);
                }
                return;
            }
            // an orphan: every DaemonSet of its namespace whose selector matches it may adopt it
            Map<String, String> labels = p.getMetadata().getLabels() == null ? Map.of() : p.getMetadata().getLabels();
            for (DaemonSet ds : sets.getIndexer().byIndex(Informers.namespaceIndex(), p.getMetadata().getNamespace())) {
                LabelSelector sel = selector(ds);
                if (!sel.isEverything() && sel.matches(labels)) {
                    queue.add(Keys.of(ds));
                }
            }
        }));
        // any node change may change where daemons run: look at every DaemonSet
        nodes.addEventHandler(Keys.on(n -> sets.getStore().list().forEach(ds -> queue.add(Keys.of(ds)))));
    }

    private static LabelSelector selector(DaemonSet ds) {
        return Selectors.of(ds.getSpec().getSelector());
    }

    /**
     * upstream's getDaemonPods: the pods of the namespace the set controls, after adopting those its selector matches
     * that have no controller (left by a `delete --cascade=orphan` of an earlier set) and releasing those whose labels no
     * longer match.
     */
    private List<Pod> claim(DaemonSet ds) {
        String ns = ds.getMetadata().getNamespace();
        String name = ds.getMetadata().getName();
        return new PodControllerRefManager(ctx.client(), ds, ControllerRefs.controllerRef(ds, "apps/v1", "DaemonSet"), selector(ds),
                () -> ctx.client().apps().daemonSets().inNamespace(ns).withName(name).get())
                .claim(pods.getIndexer().byIndex(Informers.namespaceIndex(), ns), p -> true);
    }

    @Override
    public void reconcile(String key) {
        DaemonSet ds = sets.getStore().getByKey(key);
        if (ds == null) {
            creations.forget(key);
            deletions.forget(key);
            return;
        }
        if (ds.getMetadata().getDeletionTimestamp() != null) {
            return;
        }
        List<Pod> owned = claim(ds);
        List<ControllerRevision> history = revisions.getIndexer().byIndex(io.kuberaft.controllers.runtime.Informers.namespaceIndex(),
                ds.getMetadata().getNamespace()).stream().filter(r -> ControllerRefs.isControlledBy(r, ds)).toList();
        ControllerRevision current = TemplateRevisions.current(ctx.client(), ds, ds.getSpec().getTemplate(),
                ds.getSpec().getTemplate().getMetadata().getLabels(), history);
        String hash = current.getMetadata().getLabels().get(TemplateRevisions.HASH_LABEL);

        Map<String, List<Pod>> byNode = new HashMap<>();
        for (Pod p : owned) {
            String node = targetNode(p);
            if (node != null) {
                byNode.computeIfAbsent(node, n -> new ArrayList<>()).add(p);
            }
        }
        boolean expectationsMet = creations.satisfied(key, n -> owned.stream().anyMatch(p -> p.getMetadata().getName().equals(n)))
                && deletions.satisfied(key, n -> owned.stream().noneMatch(p -> p.getMetadata().getName().equals(n) && !Pods.terminating(p)));
        Set<String> nodeNames = new HashSet<>();
        List<String> toCreate = new ArrayList<>();
        List<Pod> toDelete = new ArrayList<>();
        int desired = 0;
        int scheduled = 0;
        int misscheduled = 0;
        int ready = 0;
        int available = 0;
        int updated = 0;
        Instant now = ctx.clock().instant();
        int minReady = ds.getSpec().getMinReadySeconds() == null ? 0 : ds.getSpec().getMinReadySeconds();
        List<Node> allNodes = nodes.getStore().list().stream().sorted(Comparator.comparing(n -> n.getMetadata().getName())).toList();
        List<String> unavailableNodes = new ArrayList<>();
        Map<String, Pod> daemonOf = new HashMap<>();
        Map<String, Pod> surgeOf = new HashMap<>();
        boolean surge = maxSurge(ds, 1) > 0;
        for (Node node : allNodes) {
            String n = node.getMetadata().getName();
            nodeNames.add(n);
            PodSpec spec = podSpec(ds, n);
            boolean fits = matchesNode(spec, node) && matchesAffinity(ds, node);
            boolean shouldRun = fits && tolerates(spec.getTolerations(), node, true);
            boolean shouldContinue = fits && tolerates(spec.getTolerations(), node, false);
            List<Pod> onNode = byNode.getOrDefault(n, List.of());
            List<Pod> live = onNode.stream().filter(p -> !Pods.terminating(p)).sorted(Comparator.comparing(p -> p.getMetadata().getCreationTimestamp())).toList();
            if (shouldRun) {
                desired++;
            }
            if (!live.isEmpty()) {
                if (shouldRun) {
                    scheduled++;
                } else {
                    misscheduled++;
                }
            }
            if (shouldContinue || shouldRun) {
                // failed daemons are deleted (and replaced); extra daemons on a node go, the oldest stays
                List<Pod> keep = new ArrayList<>();
                for (Pod p : live) {
                    if (Pods.failed(p)) {
                        toDelete.add(p);
                    } else {
                        keep.add(p);
                    }
                }
                if (keep.isEmpty() && shouldRun && onNode.stream().noneMatch(Pods::terminating)) {
                    toCreate.add(n);
                }
                if (surge) {
                    keep = keepWithSurge(keep, hash, toDelete, minReady, now);
                    if (keep.size() == 2) {
                        surgeOf.put(n, keep.get(1));
                    }
                } else {
                    for (int i = 1; i < keep.size(); i++) {
                        toDelete.add(keep.get(i));
                    }
                }
                if (!keep.isEmpty()) {
                    Pod p = keep.get(0);
                    daemonOf.put(n, p);
                    if (Pods.ready(p)) {
                        ready++;
                    }
                    if (Pods.available(p, minReady, now)) {
                        available++;
                    } else if (shouldRun) {
                        unavailableNodes.add(n);
                    }
                    if (hash.equals(label(p, TemplateRevisions.HASH_LABEL))) {
                        updated++;
                    }
                } else if (shouldRun) {
                    unavailableNodes.add(n);
                }
            } else {
                toDelete.addAll(live);
            }
        }
        // daemons of nodes that are gone
        byNode.forEach((n, ps) -> {
            if (!nodeNames.contains(n)) {
                ps.stream().filter(p -> !Pods.terminating(p)).forEach(toDelete::add);
            }
        });
        if (expectationsMet) {
            for (Pod p : toDelete) {
                delete(ds, key, p);
            }
            for (String n : toCreate) {
                create(ds, key, n, hash);
            }
            if (toCreate.isEmpty() && toDelete.isEmpty()) {
                if (surge) {
                    surgeUpdate(ds, key, hash, daemonOf, surgeOf, desired, now, minReady);
                } else {
                    rollingUpdate(ds, key, hash, daemonOf, unavailableNodes, desired, now, minReady);
                }
            }
        }
        DaemonSetStatus st = new DaemonSetStatus();
        st.setDesiredNumberScheduled(desired);
        st.setCurrentNumberScheduled(scheduled);
        st.setNumberMisscheduled(misscheduled);
        st.setNumberReady(ready);
        st.setNumberAvailable(available == 0 ? null : available);
        st.setNumberUnavailable(desired - available == 0 ? null : desired - available);
        st.setUpdatedNumberScheduled(updated == 0 ? null : updated);
        st.setObservedGeneration(ds.getMetadata().getGeneration());
        st.setCollisionCount(ds.getStatus() == null ? null : ds.getStatus().getCollisionCount());
        st.setConditions(ds.getStatus() == null ? null : ds.getStatus().getConditions());
        if (!Objects.equals(st, ds.getStatus())) {
            DaemonSet copy = ctx.client().getKubernetesSerialization().clone(ds);
            copy.setStatus(st);
            try {
                ctx.client().resources(DaemonSet.class).inNamespace(ds.getMetadata().getNamespace()).resource(copy).updateStatus();
            } catch (KubernetesClientException e) {
                if (e.getCode() != 404) {
                    throw e;
                }
            }
        }
        int limit = ds.getSpec().getRevisionHistoryLimit() == null ? 10 : ds.getSpec().getRevisionHistoryLimit();
        Set<String> live = new HashSet<>();
        live.add(current.getMetadata().getName());
        owned.forEach(p -> live.add(ds.getMetadata().getName() + "-" + label(p, TemplateRevisions.HASH_LABEL)));
        TemplateRevisions.prune(ctx.client(), history, live, limit);
        if (minReady > 0 && available < ready) {
            queue.addAfter(key, 1000L);
        }
    }

    private static int maxSurge(DaemonSet ds, int desired) {
        var strategy = ds.getSpec().getUpdateStrategy();
        if (strategy == null || !"RollingUpdate".equals(strategy.getType()) || strategy.getRollingUpdate() == null) {
            return 0;
        }
        return scaled(strategy.getRollingUpdate().getMaxSurge(), desired, 0);
    }

    /**
     * With maxSurge a node may run an old daemon and its replacement at once (upstream's podsShouldBeOnNode): the oldest
     * of each revision stay, the old one until it is not ready or the new one is available, every other one goes.
     * Returns what stays, the daemon that serves first ([old, new] while surging).
     */
    private static List<Pod> keepWithSurge(List<Pod> keep, String hash, List<Pod> toDelete, int minReady, Instant now) {
        Pod oldestNew = null;
        Pod oldestOld = null;
        for (Pod p : keep) {
            if (hash.equals(label(p, TemplateRevisions.HASH_LABEL))) {
                if (oldestNew == null) {
                    oldestNew = p;
                    continue;
                }
            } else if (oldestOld == null) {
                oldestOld = p;
                continue;
            }
            toDelete.add(p);
        }
        if (oldestNew != null && oldestOld != null && (!Pods.ready(oldestOld) || Pods.available(oldestNew, minReady, now))) {
            toDelete.add(oldestOld);
            oldestOld = null;
        }
        List<Pod> out = new ArrayList<>();
        if (oldestOld != null) {
            out.add(oldestOld);
        }
        if (oldestNew != null) {
            out.add(oldestNew);
        }
        return out;
    }

    /**
     * RollingUpdate with maxSurge (upstream's surge branch): the new daemon starts next to the old one on up to maxSurge
     * nodes at a time (at once where the old one is unavailable), and the old one goes when the new one is available.
     */
    private void surgeUpdate(DaemonSet ds, String key, String hash, Map<String, Pod> daemonOf, Map<String, Pod> surgeOf,
                             int desired, Instant now, int minReady) {
        int maxSurge = maxSurge(ds, desired);
        int surging = 0;
        List<String> allowed = new ArrayList<>();
        List<String> candidates = new ArrayList<>();
        List<Pod> oldToDelete = new ArrayList<>();
        for (var e : new java.util.TreeMap<>(daemonOf).entrySet()) {
            Pod old = e.getValue();
            if (hash.equals(label(old, TemplateRevisions.HASH_LABEL))) {
                continue; // up to date
            }
            Pod fresh = surgeOf.get(e.getKey());
            if (fresh == null) {
                if (!Pods.available(old, minReady, now)) {
                    allowed.add(e.getKey());
                } else {
                    candidates.add(e.getKey());
                }
            } else if (!Pods.available(fresh, minReady, now)) {
                surging++;
            } else {
                oldToDelete.add(old);
            }
        }
        for (Pod p : oldToDelete) {
            delete(ds, key, p);
        }
        int remaining = Math.max(0, Math.min(maxSurge - surging, candidates.size()));
        allowed.addAll(candidates.subList(0, remaining));
        for (String n : allowed) {
            create(ds, key, n, hash);
        }
        if (surging > 0 || !allowed.isEmpty()) {
            queue.addAfter(key, 1000L); // availability is time-based with minReadySeconds
        }
    }

    /** RollingUpdate without surge: old daemons go while fewer than maxUnavailable daemons are unavailable. */
    private void rollingUpdate(DaemonSet ds, String key, String hash, Map<String, Pod> daemonOf, List<String> unavailableNodes,
                               int desired, Instant now, int minReady) {
        var strategy = ds.getSpec().getUpdateStrategy();
        if (strategy == null || !"RollingUpdate".equals(strategy.getType())) {
            return; // OnDelete: a new daemon comes only when the user deletes the old one
        }
        IntOrString mu = strategy.getRollingUpdate() == null ? null : strategy.getRollingUpdate().getMaxUnavailable();
        int maxUnavailable = Math.max(1, scaled(mu, desired, 1));
        int unavailable = unavailableNodes.size();
        List<Pod> oldUnavailable = new ArrayList<>();
        List<Pod> oldAvailable = new ArrayList<>();
        daemonOf.forEach((n, p) -> {
            if (!hash.equals(label(p, TemplateRevisions.HASH_LABEL))) {
                if (Pods.available(p, minReady, now)) {
                    oldAvailable.add(p);
                } else {
                    oldUnavailable.add(p);
                }
            }
        });
        for (Pod p : oldUnavailable) {
            delete(ds, key, p);
        }
        oldAvailable.sort(Comparator.comparing(p -> p.getMetadata().getName()));
        for (Pod p : oldAvailable) {
            if (unavailable >= maxUnavailable) {
                break;
            }
            delete(ds, key, p);
            unavailable++;
        }
    }

    static int scaled(IntOrString v, int total, int dflt) {
        if (v == null) {
            return dflt;
        }
        if (v.getIntVal() != null) {
            return v.getIntVal();
        }
        String s = v.getStrVal();
        if (s != null && s.endsWith("%")) {
            return (int) Math.ceil(Integer.parseInt(s.substring(0, s.length() - 1)) * total / 100.0);
        }
        return s == null ? dflt : Integer.parseInt(s);
    }

    private void create(DaemonSet ds, String key, String node, String hash) {
        Map<String, String> extra = new HashMap<>();
        extra.put(TemplateRevisions.HASH_LABEL, hash);
        if (ds.getMetadata().getGeneration() != null) {
            extra.put(TEMPLATE_GENERATION, String.valueOf(ds.getMetadata().getGeneration()));
        }
        Pod pod = PodControl.fromTemplate(ds.getSpec().getTemplate(), ds, ds.getMetadata().getName() + "-", null, extra);
        pod.setSpec(podSpec(ds, node));
        Pod created = podControl.create(ds, pod);
        creations.expect(key, created.getMetadata().getName());
    }

    private void delete(DaemonSet ds, String key, Pod p) {
        deletions.expect(key, p.getMetadata().getName());
        try {
            podControl.delete(ds, p.getMetadata().getNamespace(), p.getMetadata().getName());
        } catch (RuntimeException e) {
            deletions.observed(key, p.getMetadata().getName());
            throw e;
        }
    }

    /** The template's pod spec as a daemon of {@code node}: upstream's automatic tolerations and node-name affinity. */
    PodSpec podSpec(DaemonSet ds, String node) {
        PodSpec spec = ctx.client().getKubernetesSerialization().clone(ds.getSpec().getTemplate().getSpec());
        List<Toleration> tol = new ArrayList<>(spec.getTolerations() == null ? List.of() : spec.getTolerations());
        addToleration(tol, "node.kubernetes.io/not-ready", "NoExecute");
        addToleration(tol, "node.kubernetes.io/unreachable", "NoExecute");
        addToleration(tol, "node.kubernetes.io/disk-pressure", "NoSchedule");
        addToleration(tol, "node.kubernetes.io/memory-pressure", "NoSchedule");
        addToleration(tol, "node.kubernetes.io/pid-pressure", "NoSchedule");
        addToleration(tol, "node.kubernetes.io/unschedulable", "NoSchedule");
        if (Boolean.TRUE.equals(spec.getHostNetwork())) {
            addToleration(tol, "node.kubernetes.io/network-unavailable", "NoSchedule");
        }
        spec.setTolerations(tol);
        Affinity affinity = spec.getAffinity() == null ? new Affinity() : spec.getAffinity();
        NodeAffinity na = affinity.getNodeAffinity() == null ? new NodeAffinity() : affinity.getNodeAffinity();
        NodeSelectorTerm term = new NodeSelectorTermBuilder().withMatchFields(new NodeSelectorRequirementBuilder()
                .withKey("metadata.name").withOperator("In").withValues(node).build()).build();
        na.setRequiredDuringSchedulingIgnoredDuringExecution(new io.fabric8.kubernetes.api.model.NodeSelector(List.of(term)));
        affinity.setNodeAffinity(na);
        spec.setAffinity(affinity);
        return spec;
    }

    private static void addToleration(List<Toleration> tol, String key, String effect) {
        if (tol.stream().noneMatch(t -> key.equals(t.getKey()) && effect.equals(t.getEffect()) && "Exists".equals(t.getOperator()))) {
            tol.add(new TolerationBuilder().withKey(key).withOperator("Exists").withEffect(effect).build());
        }
    }

    /** nodeSelector and the template's own required node affinity (checked on the template, before our node-name term). */
    private boolean matchesNode(PodSpec daemonSpec, Node node) {
        Map<String, String> labels = node.getMetadata().getLabels() == null ? Map.of() : node.getMetadata().getLabels();
        if (daemonSpec.getNodeSelector() != null) {
            for (var e : daemonSpec.getNodeSelector().entrySet()) {
                if (!e.getValue().equals(labels.get(e.getKey()))) {
                    return false;
                }
            }
        }
        return true;
    }

    private boolean matchesAffinity(DaemonSet ds, Node node) {
        PodSpec t = ds.getSpec().getTemplate().getSpec();
        if (t.getAffinity() == null || t.getAffinity().getNodeAffinity() == null
                || t.getAffinity().getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution() == null) {
            return true;
        }
        List<NodeSelectorTerm> terms = t.getAffinity().getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution().getNodeSelectorTerms();
        if (terms == null || terms.isEmpty()) {
            return false;
        }
        return terms.stream().anyMatch(term -> termMatches(term, node));
    }

    static boolean termMatches(NodeSelectorTerm term, Node node) {
        boolean any = false;
        Map<String, String> labels = node.getMetadata().getLabels() == null ? Map.of() : node.getMetadata().getLabels();
        for (NodeSelectorRequirement r : term.getMatchExpressions() == null ? List.<NodeSelectorRequirement>of() : term.getMatchExpressions()) {
            any = true;
            if (!requirement(r, labels.get(r.getKey()), labels.containsKey(r.getKey()))) {
                return false;
            }
        }
        for (NodeSelectorRequirement r : term.getMatchFields() == null ? List.<NodeSelectorRequirement>of() : term.getMatchFields()) {
            any = true;
            if (!"metadata.name".equals(r.getKey()) || !requirement(r, node.getMetadata().getName(), true)) {
                return false;
            }
        }
        return any;
    }

    private static boolean requirement(NodeSelectorRequirement r, String value, boolean present) {
        List<String> values = r.getValues() == null ? List.of() : r.getValues();
        return switch (r.getOperator()) {
            case "In" -> present && values.contains(value);
            case "NotIn" -> !present || !values.contains(value);
            case "Exists" -> present;
            case "DoesNotExist" -> !present;
            case "Gt", "Lt" -> {
                try {
                    long v = Long.parseLong(value);
                    long w = Long.parseLong(values.get(0));
                    yield r.getOperator().equals("Gt") ? v > w : v < w;
                } catch (RuntimeException e) {
                    yield false;
                }
            }
            default -> false;
        };
    }

    /** Every NoExecute taint (and NoSchedule too when {@code forNewPod}) is tolerated. */
    private static boolean tolerates(List<Toleration> tolerations, Node node, boolean forNewPod) {
        List<Taint> taints = node.getSpec() == null || node.getSpec().getTaints() == null ? List.of() : node.getSpec().getTaints();
        for (Taint t : taints) {
            boolean relevant = "NoExecute".equals(t.getEffect()) || (forNewPod && "NoSchedule".equals(t.getEffect()));
            if (relevant && tolerations.stream().noneMatch(tol -> tolerationMatches(tol, t))) {
                return false;
            }
        }
        return true;
    }

    static boolean tolerationMatches(Toleration tol, Taint t) {
        if (tol.getEffect() != null && !tol.getEffect().isEmpty() && !tol.getEffect().equals(t.getEffect())) {
            return false;
        }
        String key = tol.getKey() == null ? "" : tol.getKey();
        if (!key.isEmpty() && !key.equals(t.getKey())) {
            return false;
        }
        if ("Exists".equals(tol.getOperator())) {
            return true;
        }
        return !key.isEmpty() && Objects.equals(tol.getValue() == null ? "" : tol.getValue(), t.getValue() == null ? "" : t.getValue());
    }

    /** spec.nodeName, or the node a daemon's node-name affinity points at before it is bound. */
    static String targetNode(Pod p) {
        if (p.getSpec().getNodeName() != null && !p.getSpec().getNodeName().isEmpty()) {
            return p.getSpec().getNodeName();
        }
        Affinity a = p.getSpec().getAffinity();
        if (a == null || a.getNodeAffinity() == null || a.getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution() == null) {
            return null;
        }
        for (NodeSelectorTerm term : a.getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution().getNodeSelectorTerms()) {
            for (NodeSelectorRequirement r : term.getMatchFields() == null ? List.<NodeSelectorRequirement>of() : term.getMatchFields()) {
                if ("metadata.name".equals(r.getKey()) && "In".equals(r.getOperator()) && r.getValues() != null && r.getValues().size() == 1) {
                    return r.getValues().get(0);
                }
            }
        }
        return null;
    }

    private static String label(Pod p, String k) {
        return p.getMetadata().getLabels() == null ? null : p.getMetadata().getLabels().get(k);
    }
}
