package io.kuberaft.apiserver.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.patch.JsonPatch;
import io.kuberaft.apiserver.patch.MergePatch;
import io.kuberaft.apiserver.registry.GenericRegistry;
import io.kuberaft.apiserver.registry.GenericRegistry.WriteOptions;
import io.kuberaft.apiserver.registry.CustomResource;
import io.kuberaft.apiserver.registry.Objects;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.apiserver.registry.ResourceRegistry;
import io.kuberaft.apiserver.registry.ResourceStore;
import io.kuberaft.apiserver.registry.StoreOps;
import io.kuberaft.kubeapi.LabelSelector;
import io.kuberaft.kubeapi.StatusException;
import io.kuberaft.raftstore.ReadConsistency;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The subresources other than status, as upstream 1.32 serves them:
 * <ul>
 *   <li>{@code scale} (deployments, replicasets, statefulsets, replicationcontrollers): an autoscaling/v1 Scale
 *   view of the workload; PUT/PATCH change only its spec.replicas.</li>
 *   <li>{@code pods/binding} (and the legacy {@code POST /api/v1/namespaces/<ns>/bindings}): sets spec.nodeName
 *   only while it is empty (compare-and-swap on the pod's resourceVersion).</li>
 *   <li>{@code pods/eviction}: a delete guarded by the PodDisruptionBudget that selects the pod. The PDB's
 *   disruptionsAllowed decrement (and its status.disruptedPods entry) commits in the same store txn as the
 *   pod's deletion mark, so concurrent evictions cannot overrun a budget.</li>
 *   <li>{@code pods/log}, {@code pods/exec}, {@code pods/attach}: streamed from the agent of the pod's node ({@link PodStreams}).</li>
 * </ul>
 */
public final class SubresourceHandler {
    private static final int MAX_ATTEMPTS = 20;
    /** Upstream's MaxDisruptedPodSize. */
    private static final int MAX_DISRUPTED_PODS = 2000;
    private final ResourceRegistry registry;
    private final GenericRegistry generic;

    public SubresourceHandler(ResourceRegistry registry, GenericRegistry generic) {
        this.registry = registry;
        this.generic = generic;
    }

    /** {@code POST /api/v1/namespaces/<ns>/bindings}: the legacy bindings resource (the body names the pod). */
    public static boolean isLegacyBindings(RequestInfo info) {
        return info.group().isEmpty() && info.version().equals("v1") && info.resource().equals("bindings") && info.subresource() == null;
    }

    public Reply handle(RequestInfo info, ResourceDefinition def, ResourceHandler.Query q, String contentType, byte[] body) {
        String ns = def.namespaced() ? info.namespace() : null;
        if (isLegacyBindings(info)) {
            if (info.namespace() == null || info.name() != null || !info.verb().equals("create")) {
                throw StatusException.methodNotAllowed("the server does not allow this method on the requested resource");
            }
            ObjectNode binding = MediaTypes.parseObject(contentType, body);
            String pod = Objects.name(binding);
            if (pod.isEmpty()) {
                throw StatusException.invalid("", "Binding", "", List.of(new StatusException.Cause("FieldValueRequired",
                        "Required value: name or generateName is required", "metadata.name")));
            }
            return bind(pods(), info.namespace(), pod, binding, q);
        }
        String sub = info.subresource();
        return switch (sub) {
            case "scale" -> scale(info, def, ns, q, contentType, body);
            case "binding" -> {
                requireVerb(info, "create");
                yield bind(def, ns, info.name(), MediaTypes.parseObject(contentType, body), q);
            }
            case "eviction" -> {
                requireVerb(info, "create");
                yield evict(def, ns, info.name(), MediaTypes.parseObject(contentType, body), q);
            }
            case "finalize" -> {
                requireVerb(info, "update");
                yield finalizeNamespace(def, info.name(), MediaTypes.parseObject(contentType, body));
            }
            default -> throw new StatusException(404, "NotFound", "the server could not find the requested resource (" + sub
                    + " is not served by this replica yet)");
        };
    }

    /**
     * {@code namespaces/{name}/finalize}: the only way spec.finalizers change. The namespace controller
     * drops {@code kubernetes} here once the namespace is empty; a deleted namespace whose last
     * finalizer goes is removed.
     */
    private Reply finalizeNamespace(ResourceDefinition def, String name, ObjectNode body) {
        if (!def.plural().equals("namespaces")) {
            throw new StatusException(404, "NotFound", "the server could not find the requested resource");
        }
        if (!Objects.name(body).isEmpty() && !Objects.name(body).equals(name)) {
            throw StatusException.badRequest("the name of the object (" + Objects.name(body)
                    + ") does not match the name on the URL (" + name + ")");
        }
        JsonNode wanted = body.path("spec").path("finalizers");
        if (!wanted.isMissingNode() && !wanted.isNull() && !wanted.isArray()) {
            throw StatusException.badRequest("spec.finalizers must be a list of strings");
        }
        for (int attempt = 0; ; attempt++) {
            ObjectNode current = generic.store().get(def, null, name);
            long rv = Objects.resourceVersion(body) != 0 ? Objects.resourceVersion(body) : Objects.resourceVersion(current);
            ObjectNode next = current.deepCopy();
            ArrayNode fs = ((ObjectNode) next.path("spec")).putArray("finalizers");
            if (wanted.isArray()) {
                wanted.forEach(f -> fs.add(f.asText()));
            }
            try {
                ObjectNode out = generic.store().update(def, null, name, next, rv);
                generic.finishIfFinalized(def, null, out);
                return Reply.ok(out);
            } catch (StatusException e) {
                if (e.code() != 409 || Objects.resourceVersion(body) != 0 || attempt >= 5) {
                    throw e;
                }
            }
        }
    }

    private static void requireVerb(RequestInfo info, String verb) {
        if (!info.verb().equals(verb)) {
            throw StatusException.methodNotAllowed("the server does not allow this method on the requested resource");
        }
    }

    private ResourceDefinition pods() {
        return registry.find("", "v1", "pods").orElseThrow(() -> StatusException.internal("pods are not registered"));
    }

    private ResourceDefinition pdbs() {
        return registry.find("policy", "v1", "poddisruptionbudgets")
                .orElseThrow(() -> StatusException.internal("poddisruptionbudgets are not registered"));
    }

    private static ObjectNode successStatus(int code) {
        ObjectNode s = Objects.JSON.createObjectNode();
        s.put("kind", "Status").put("apiVersion", "v1");
        s.putObject("metadata");
        s.put("status", "Success").put("code", code);
        return s;
    }

    // ---------------------------------------------------------------- scale

    private Reply scale(RequestInfo info, ResourceDefinition def, String ns, ResourceHandler.Query q, String contentType, byte[] body) {
        String name = info.name();
        return switch (info.verb()) {
            case "get" -> Reply.ok(toScale(def, generic.store().get(def, ns, name)));
            case "update" -> {
                ObjectNode scale = MediaTypes.parseObject(contentType, body);
                yield Reply.ok(applyScale(def, ns, name, scale, q));
            }
            case "patch" -> {
                if (body.length == 0) {
                    throw StatusException.badRequest("the body of the request was empty");
                }
                // The patch applies to the Scale view; the result is written like a PUT of the Scale.
                ObjectNode current = toScale(def, generic.store().get(def, ns, name));
                String type = MediaTypes.base(contentType);
                JsonNode patch = MediaTypes.parse(contentType, body);
                JsonNode patched = switch (type) {
                    case MediaTypes.JSON_PATCH -> JsonPatch.apply(current, patch);
                    case MediaTypes.MERGE_PATCH, MediaTypes.STRATEGIC_MERGE_PATCH, MediaTypes.APPLY_PATCH -> MergePatch.apply(current, patch);
                    default -> throw StatusException.unsupportedMediaType("the body of the request was in an unknown format - accepted media types include: "
                            + "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, "
                            + "application/strategic-merge-patch+json");
                };
                if (!(patched instanceof ObjectNode scale)) {
                    throw StatusException.badRequest("the patched Scale is not an object");
                }
                // A merge patch that does not mention resourceVersion leaves the current one in place: no precondition.
                if (!patch.path("metadata").has("resourceVersion") && !type.equals(MediaTypes.JSON_PATCH)) {
                    Objects.meta(scale).remove("resourceVersion");
                }
                yield Reply.ok(applyScale(def, ns, name, scale, q));
            }
            default -> throw StatusException.methodNotAllowed("the server does not allow this method on the requested resource");
        };
    }

    private ObjectNode applyScale(ResourceDefinition def, String ns, String name, ObjectNode scale, ResourceHandler.Query q) {
        String kind = scale.path("kind").asText("");
        String apiVersion = scale.path("apiVersion").asText("");
        if (!kind.isEmpty() && !kind.equals("Scale")) {
            throw StatusException.badRequest("the kind in the data (" + kind + ") does not match the expected kind (Scale)");
        }
        if (!apiVersion.isEmpty() && !apiVersion.equals("autoscaling/v1")) {
            throw StatusException.badRequest("the API version in the data (" + apiVersion
                    + ") does not match the expected API version (autoscaling/v1)");
        }
        String bodyName = Objects.name(scale);
        if (!bodyName.isEmpty() && !bodyName.equals(name)) {
            throw StatusException.badRequest("the name of the object (" + bodyName + ") does not match the name on the URL (" + name + ")");
        }
        JsonNode replicas = scale.path("spec").path("replicas");
        long n = replicas.isMissingNode() || replicas.isNull() ? 0 : replicas.asLong();
        if (!replicas.isMissingNode() && !replicas.isNull() && !replicas.canConvertToInt()) {
            throw StatusException.badRequest("spec.replicas: " + replicas + " is not an int32");
        }
        if (n < 0) {
            List<StatusException.Cause> causes = List.of(new StatusException.Cause("FieldValueInvalid",
                    "Invalid value: " + n + ": must be greater than or equal to 0", "spec.replicas"));
            throw new StatusException(422, "Invalid", "Scale.autoscaling \"" + name + "\" is invalid: spec.replicas: Invalid value: "
                    + n + ": must be greater than or equal to 0", "autoscaling", "Scale", name, causes, null);
        }
        long rv = Objects.resourceVersion(scale);
        ObjectNode updated = generic.guaranteedUpdate(def, ns, name, false, cur -> {
            if (rv != 0) {
                Objects.meta(cur).put("resourceVersion", String.valueOf(rv));
            } else {
                Objects.meta(cur).remove("resourceVersion");
            }
            if (def.isCustom() && def.custom().scale() != null) {
                CustomResource.ScalePaths.write(cur, def.custom().scale().specReplicasPath(), (int) n);
            } else {
                ((ObjectNode) cur.with("spec")).put("replicas", (int) n);
            }
            return cur;
        }, q.writeOptions());
        return toScale(def, updated);
    }

    /** The autoscaling/v1 Scale of a workload. */
    static ObjectNode toScale(ResourceDefinition def, ObjectNode obj) {
        ObjectNode s = Objects.JSON.createObjectNode();
        s.put("kind", "Scale").put("apiVersion", "autoscaling/v1");
        ObjectNode m = s.putObject("metadata");
        JsonNode om = obj.path("metadata");
        m.put("name", om.path("name").asText());
        if (om.has("namespace")) {
            m.put("namespace", om.path("namespace").asText());
        }
        m.put("uid", om.path("uid").asText());
        m.put("resourceVersion", om.path("resourceVersion").asText());
        m.put("creationTimestamp", om.path("creationTimestamp").asText(null));
        if (def.isCustom() && def.custom().scale() != null) {
            // A custom resource's scale reads the paths its CRD declares; what is missing counts as 0, as upstream.
            CustomResource.ScalePaths p = def.custom().scale();
            s.putObject("spec").put("replicas", CustomResource.ScalePaths.read(obj, p.specReplicasPath()).asInt(0));
            ObjectNode st = s.putObject("status");
            st.put("replicas", CustomResource.ScalePaths.read(obj, p.statusReplicasPath()).asInt(0));
            if (p.labelSelectorPath() != null) {
                String sel = CustomResource.ScalePaths.read(obj, p.labelSelectorPath()).asText("");
                if (!sel.isEmpty()) {
                    st.put("selector", sel);
                }
            }
            return s;
        }
        JsonNode specReplicas = obj.path("spec").path("replicas");
        // Defaulting sets replicas to 1; a stored object without it is shown as upstream's default too.
        s.putObject("spec").put("replicas", specReplicas.isNumber() ? specReplicas.asInt() : 1);
        ObjectNode status = s.putObject("status");
        status.put("replicas", obj.path("status").path("replicas").asInt(0));
        String selector = selectorString(def, obj.path("spec").path("selector"));
        if (!selector.isEmpty()) {
            status.put("selector", selector);
        }
        return s;
    }

    /** The label selector string upstream puts in Scale.status.selector (requirements sorted by key). */
    static String selectorString(ResourceDefinition def, JsonNode selector) {
        if (selector == null || selector.isMissingNode() || selector.isNull()) {
            return "";
        }
        List<LabelSelector.Requirement> reqs = new ArrayList<>();
        if (def.kind().equals("ReplicationController")) {
            // A plain map (labels.SelectorFromSet).
            new TreeMap<String, String>(toMap(selector)).forEach((k, v) ->
                    reqs.add(new LabelSelector.Requirement(k, LabelSelector.Op.EQUALS, java.util.Set.of(v))));
        } else {
            try {
                reqs.addAll(LabelSelector.fromSpec(selector).requirements());
            } catch (IllegalArgumentException e) {
                return "";
            }
        }
        reqs.sort(Comparator.comparing(LabelSelector.Requirement::key));
        List<String> parts = new ArrayList<>();
        for (LabelSelector.Requirement r : reqs) {
            List<String> values = new ArrayList<>(r.values());
            values.sort(null);
            parts.add(switch (r.op()) {
                case EQUALS -> r.key() + "=" + values.get(0);
                case NOT_EQUALS -> r.key() + "!=" + values.get(0);
                case IN -> r.key() + " in (" + String.join(",", values) + ")";
                case NOT_IN -> r.key() + " notin (" + String.join(",", values) + ")";
                case EXISTS -> r.key();
                case DOES_NOT_EXIST -> "!" + r.key();
            });
        }
        return String.join(",", parts);
    }

    private static Map<String, String> toMap(JsonNode n) {
        Map<String, String> out = new TreeMap<>();
        n.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        return out;
    }

    // ---------------------------------------------------------------- binding

    private Reply bind(ResourceDefinition podDef, String ns, String podName, ObjectNode binding, ResourceHandler.Query q) {
        String bodyName = Objects.name(binding);
        if (!bodyName.isEmpty() && !bodyName.equals(podName)) {
            throw StatusException.badRequest("name in URL does not match name in Binding object");
        }
        String bodyNs = Objects.namespace(binding);
        if (!bodyNs.isEmpty() && !bodyNs.equals(ns)) {
            throw StatusException.badRequest("the namespace of the provided object does not match the namespace sent on the request");
        }
        JsonNode target = binding.path("target");
        String targetKind = target.path("kind").asText("");
        String node = target.path("name").asText("");
        List<StatusException.Cause> causes = new ArrayList<>();
        if (!targetKind.isEmpty() && !targetKind.equals("Node")) {
            causes.add(new StatusException.Cause("FieldValueNotSupported",
                    "Unsupported value: \"" + targetKind + "\": supported values: \"Node\", \"<empty>\"", "target.kind"));
        }
        if (node.isEmpty()) {
            causes.add(new StatusException.Cause("FieldValueRequired", "Required value", "target.name"));
        }
        if (!causes.isEmpty()) {
            throw StatusException.invalid("", "Binding", podName, causes);
        }
        String preUid = binding.path("metadata").path("uid").asText("");
        boolean dryRun = q.writeOptions().dryRun();
        for (int attempt = 0; ; attempt++) {
            ObjectNode pod = generic.store().get(podDef, ns, podName);
            ObjectNode meta = Objects.meta(pod);
            if (!preUid.isEmpty() && !preUid.equals(meta.path("uid").asText())) {
                throw StatusException.conflict("", "pods", podName, "Precondition failed: UID in precondition: " + preUid
                        + ", UID in object meta: " + meta.path("uid").asText());
            }
            if (meta.has("deletionTimestamp")) {
                throw bindingConflict(podName, "pod " + podName + " is being deleted, cannot be assigned to a host");
            }
            String current = pod.path("spec").path("nodeName").asText("");
            if (!current.isEmpty()) {
                throw bindingConflict(podName, "pod " + podName + " is already assigned to node \"" + current + "\"");
            }
            if (pod.path("spec").path("schedulingGates").size() > 0) {
                throw bindingConflict(podName, "pod " + podName + " has non-empty .spec.schedulingGates");
            }
            ObjectNode next = pod.deepCopy();
            ((ObjectNode) next.with("spec")).put("nodeName", node);
            binding.path("metadata").path("annotations").fields().forEachRemaining(e ->
                    Objects.meta(next).with("annotations").set(e.getKey(), e.getValue()));
            setCondition(next, "PodScheduled", "True", null, null);
            if (dryRun) {
                return Reply.created(successStatus(201));
            }
            try {
                // Not through the pod strategy: a normal update may not change spec.nodeName. The compare on the
                // resourceVersion read above makes "set only if empty" atomic.
                generic.store().update(podDef, ns, podName, next, Objects.resourceVersion(pod));
                return Reply.created(successStatus(201));
            } catch (StatusException e) {
                if (e.code() != 409 || attempt >= MAX_ATTEMPTS) {
                    throw e;
                }
                backoff(attempt);
            }
        }
    }

    private static StatusException bindingConflict(String pod, String why) {
        return StatusException.conflict("", "pods/binding", pod, why);
    }

    /** Sets (or replaces) a pod condition; lastTransitionTime changes only with the status. */
    private static void setCondition(ObjectNode pod, String type, String status, String reason, String message) {
        ArrayNode conds = pod.with("status").withArray("conditions");
        ObjectNode c = null;
        for (JsonNode n : conds) {
            if (n.path("type").asText().equals(type)) {
                c = (ObjectNode) n;
            }
        }
        if (c == null) {
            c = conds.addObject();
            c.put("type", type);
        }
        if (!status.equals(c.path("status").asText(""))) {
            c.put("lastTransitionTime", Objects.now());
        }
        c.put("status", status);
        c.putNull("lastProbeTime");
        if (reason != null) {
            c.put("reason", reason);
        }
        if (message != null) {
            c.put("message", message);
        }
    }

    // ---------------------------------------------------------------- eviction

    /** 429 with a DisruptionBudget cause (upstream omits the empty field of a cause). */
    private static StatusException tooManyRequests(String cause, Integer retryAfter) {
        return new StatusException(429, "TooManyRequests", "Cannot evict pod as it would violate the pod's disruption budget.",
                null, null, null, List.of(new StatusException.Cause("DisruptionBudget", cause, null)), retryAfter) {
            @Override
            public ObjectNode toStatus() {
                ObjectNode s = super.toStatus();
                for (JsonNode c : s.path("details").path("causes")) {
                    if (c.path("field").isNull()) {
                        ((ObjectNode) c).remove("field");
                    }
                }
                return s;
            }
        };
    }

    private static boolean canIgnorePdb(ObjectNode pod) {
        String phase = pod.path("status").path("phase").asText("");
        return phase.equals("Succeeded") || phase.equals("Failed") || phase.equals("Pending")
                || pod.path("metadata").has("deletionTimestamp");
    }

    private static boolean isReady(ObjectNode pod) {
        for (JsonNode c : pod.path("status").path("conditions")) {
            if (c.path("type").asText().equals("Ready")) {
                return c.path("status").asText().equals("True");
            }
        }
        return false;
    }

    private Reply evict(ResourceDefinition podDef, String ns, String podName, ObjectNode eviction, ResourceHandler.Query q) {
        String bodyName = Objects.name(eviction);
        if (!bodyName.isEmpty() && !bodyName.equals(podName)) {
            throw StatusException.badRequest("name in URL does not match name in Eviction object");
        }
        JsonNode opts = eviction.path("deleteOptions");
        boolean dryRun = q.writeOptions().dryRun() || opts.path("dryRun").toString().contains("All");
        long preRv = opts.path("preconditions").path("resourceVersion").asLong(0);
        String preUid = opts.path("preconditions").path("uid").asText(null);
        Long grace = opts.path("gracePeriodSeconds").isNumber() ? opts.get("gracePeriodSeconds").asLong() : null;
        String propagation = opts.path("propagationPolicy").isTextual() ? opts.get("propagationPolicy").asText() : null;
        ResourceDefinition pdbDef = pdbs();
        for (int attempt = 0; ; attempt++) {
            ObjectNode pod = generic.store().get(podDef, ns, podName);
            if (canIgnorePdb(pod)) {
                // Terminal, pending or already terminating pods caused their disruption already: a plain delete.
                ObjectNode marked = pod.deepCopy();
                try {
                    if (dryRun) {
                        return Reply.created(successStatus(201));
                    }
                    deletePod(podDef, ns, marked, new StoreOps(), preRv, preUid, grace, propagation);
                    return Reply.created(successStatus(201));
                } catch (StatusException e) {
                    if (!(e.code() == 409 && preRv == 0 && attempt < MAX_ATTEMPTS) || e.code() == 404) {
                        throw e;
                    }
                    backoff(attempt);
                    continue;
                }
            }
            ResourceStore.Page page = generic.store().list(pdbDef, ns, o -> true, 0, null, ReadConsistency.LINEARIZABLE, 0);
            List<ObjectNode> matching = new ArrayList<>();
            for (ObjectNode pdb : page.items()) {
                LabelSelector sel;
                try {
                    sel = LabelSelector.fromSpec(pdb.path("spec").get("selector"));
                } catch (IllegalArgumentException e) {
                    continue;
                }
                // A nil or empty selector matches nothing here (upstream's eviction check).
                if (sel.requirements().isEmpty() || !sel.matches(Objects.labels(pod))) {
                    continue;
                }
                matching.add(pdb);
            }
            if (matching.size() > 1) {
                ObjectNode s = Objects.JSON.createObjectNode();
                s.put("kind", "Status").put("apiVersion", "v1");
                s.putObject("metadata");
                s.put("status", "Failure")
                        .put("message", "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.")
                        .put("code", 500);
                return new Reply(500, s, MediaTypes.JSON, null);
            }
            StoreOps ops = new StoreOps();
            // A PDB created after our list would have to be seen: the txn fails if one appeared.
            ops.requireNoneCreatedSince(ResourceStore.prefix(pdbDef, ns), page.revision());
            long podPreRv = preRv;
            if (matching.size() == 1) {
                ObjectNode pdb = matching.get(0).deepCopy();
                String pdbName = Objects.name(pdb);
                JsonNode st = pdb.path("status");
                String unhealthyPolicy = pdb.path("spec").path("unhealthyPodEvictionPolicy").asText("");
                boolean skipDecrement = !isReady(pod) && (unhealthyPolicy.equals("AlwaysAllow")
                        || (st.path("currentHealthy").asLong(0) >= st.path("desiredHealthy").asLong(0) && st.path("desiredHealthy").asLong(0) > 0));
                if (skipDecrement) {
                    // An unready pod does not count as healthy: delete it only if it is still the pod we judged.
                    ops.requireModRevision(ResourceStore.key(pdbDef, ns, pdbName), Objects.resourceVersion(pdb));
                    if (podPreRv == 0) {
                        podPreRv = Objects.resourceVersion(pod);
                    }
                } else {
                    if (st.path("observedGeneration").asLong(0) < Objects.meta(pdb).path("generation").asLong(0)) {
                        throw tooManyRequests("The disruption budget " + pdbName + " is still being processed by the server.", 10);
                    }
                    long allowed = st.path("disruptionsAllowed").asLong(0);
                    if (allowed < 0) {
                        throw new StatusException(403, "Forbidden", "poddisruptionbudgets.policy \"" + pdbName
                                + "\" is forbidden: pdb disruptions allowed is negative", "policy", "poddisruptionbudget", pdbName, List.of(), null);
                    }
                    if (st.path("disruptedPods").size() > MAX_DISRUPTED_PODS) {
                        throw new StatusException(403, "Forbidden", "poddisruptionbudgets.policy \"" + pdbName
                                + "\" is forbidden: DisruptedPods map too big - too many evictions not confirmed by PDB controller",
                                "policy", "poddisruptionbudget", pdbName, List.of(), null);
                    }
                    if (allowed == 0) {
                        throw tooManyRequests("The disruption budget " + pdbName + " needs " + st.path("desiredHealthy").asLong(0)
                                + " healthy pods and has " + st.path("currentHealthy").asLong(0) + " currently", null);
                    }
                    ObjectNode status = pdb.with("status");
                    status.put("disruptionsAllowed", allowed - 1);
                    if (allowed - 1 == 0) {
                        updateDisruptionAllowedCondition(status, Objects.meta(pdb).path("generation").asLong(0));
                    }
                    status.with("disruptedPods").put(podName, Objects.now());
                    ops.replaceObject(pdbDef, pdb);
                }
            }
            if (dryRun) {
                return Reply.created(successStatus(201));
            }
            try {
                deletePod(podDef, ns, pod, ops, podPreRv, preUid, grace, propagation);
                return Reply.created(successStatus(201));
            } catch (StatusException e) {
                // The PDB or the pod changed under us: read both again (a precondition the client gave is final).
                if (e.code() != 409 || preRv != 0 || attempt >= MAX_ATTEMPTS) {
                    throw e;
                }
                backoff(attempt);
            }
        }
    }

    private static void updateDisruptionAllowedCondition(ObjectNode status, long generation) {
        ArrayNode conds = status.withArray("conditions");
        ObjectNode c = null;
        for (JsonNode n : conds) {
            if (n.path("type").asText().equals("DisruptionAllowed")) {
                c = (ObjectNode) n;
            }
        }
        if (c == null) {
            c = conds.addObject();
            c.put("type", "DisruptionAllowed");
        }
        if (!c.path("status").asText("").equals("False")) {
            c.put("lastTransitionTime", Objects.now());
        }
        c.put("status", "False").put("reason", "InsufficientPods").put("message", "");
        c.put("observedGeneration", status.path("observedGeneration").asLong(generation));
    }

    /**
     * Deletes an evicted pod like DELETE does, with the DisruptionTarget condition: a pod that must wait
     * (grace period, finalizers) is marked with a deletionTimestamp, and the mark commits together with
     * {@code ops} (the PDB decrement); a pod that goes at once is marked in that txn and then removed by the
     * registry (so quota and other admission releases apply).
     */
    private void deletePod(ResourceDefinition podDef, String ns, ObjectNode pod, StoreOps ops, long preRv, String preUid,
                           Long requestedGrace, String propagation) {
        String name = Objects.name(pod);
        ObjectNode meta = Objects.meta(pod);
        if (preUid != null && !preUid.equals(meta.path("uid").asText())) {
            throw StatusException.conflict("", "pods", name, "Precondition failed: UID in precondition: " + preUid
                    + ", UID in object meta: " + meta.path("uid").asText());
        }
        if (preRv != 0 && preRv != Objects.resourceVersion(pod)) {
            throw StatusException.conflict("", "pods", name, "Precondition failed: ResourceVersion in precondition: " + preRv
                    + ", ResourceVersion in object meta: " + Objects.resourceVersion(pod));
        }
        if (ops.isEmpty()) {
            generic.delete(podDef, ns, name, preRv, preUid, requestedGrace, propagation, WriteOptions.DEFAULT);
            return;
        }
        long grace = podDef.strategy().gracePeriodSeconds(pod, requestedGrace);
        ObjectNode next = pod.deepCopy();
        setCondition(next, "DisruptionTarget", "True", "EvictionByEvictionAPI", "Eviction API: evicting");
        ObjectNode nm = Objects.meta(next);
        if (!nm.has("deletionTimestamp")) {
            nm.put("deletionTimestamp", Instant.now().plusSeconds(grace).truncatedTo(ChronoUnit.SECONDS).toString());
            nm.put("deletionGracePeriodSeconds", grace);
        }
        String finalizer = "Foreground".equals(propagation) ? "foregroundDeletion" : "Orphan".equals(propagation) ? "orphan" : null;
        if (finalizer != null) {
            ArrayNode fs = nm.withArray("finalizers");
            boolean present = false;
            for (JsonNode f : fs) {
                present |= f.asText().equals(finalizer);
            }
            if (!present) {
                fs.add(finalizer);
            }
        }
        generic.store().update(podDef, ns, name, next, Objects.resourceVersion(pod), ops);
        if (grace == 0 && nm.path("finalizers").size() == 0) {
            try {
                generic.delete(podDef, ns, name, 0, null, 0L, propagation, WriteOptions.DEFAULT);
            } catch (StatusException e) {
                if (e.code() != 404) {
                    throw e;
                }
            }
        }
    }

    private static void backoff(int attempt) {
        try {
            Thread.sleep(ThreadLocalRandom.current().nextLong(1, 2L << Math.min(attempt, 5)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw StatusException.internal("interrupted");
        }
    }
}
