package io.kuberaft.apiserver.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.patch.Patcher;
import io.kuberaft.apiserver.registry.GenericRegistry;
import io.kuberaft.apiserver.registry.GenericRegistry.WriteOptions;
import io.kuberaft.apiserver.registry.Objects;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.apiserver.registry.ResourceRegistry;
import io.kuberaft.apiserver.registry.ResourceStore;
import io.kuberaft.apiserver.table.Tables;
import io.kuberaft.kubeapi.FieldSelector;
import io.kuberaft.kubeapi.LabelSelector;
import io.kuberaft.kubeapi.StatusException;
import io.kuberaft.raftstore.ReadConsistency;

import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The REST verbs on resources (get, list, create, update, patch, delete, deletecollection and the
 * status/scale subresources), on a worker thread. Watches are {@link WatchHandler}'s.
 */
public final class ResourceHandler {
    private final ResourceRegistry registry;
    private final GenericRegistry generic;
    private final Patcher patcher;
    private final FieldValidation fields;

    private final io.kuberaft.apiserver.admission.PodSecurityAdmission podSecurity;

    public ResourceHandler(ResourceRegistry registry, GenericRegistry generic, Patcher patcher, FieldValidation fields) {
        this.registry = registry;
        this.generic = generic;
        this.patcher = patcher;
        this.fields = fields;
        this.podSecurity = new io.kuberaft.apiserver.admission.PodSecurityAdmission(new io.kuberaft.apiserver.admission.Lookup(registry, generic.store()));
    }

    /**
     * What a write gets back as {@code Warning}s besides field validation's: its strategy's, PodSecurity's warn level, and
     * for a namespace given a new enforce level the pods already there that violate it ({@code old}: the stored object).
     */
    private List<String> warnings(ResourceDefinition def, String ns, ObjectNode obj, ObjectNode old) {
        List<String> out = new java.util.ArrayList<>(def.strategy().warnings(obj));
        out.addAll(podSecurity.warnings(def, ns, obj));
        if (def.group().isEmpty() && def.kind().equals("Namespace")) {
            out.addAll(podSecurity.namespaceWarnings(obj, old));
        }
        return out;
    }

    /** The definition a request addresses: 404 for unknown resources, 405 for verbs it does not allow. */
    public ResourceDefinition resolve(RequestInfo info) {
        if (SubresourceHandler.isLegacyBindings(info)) {
            return registry.find("", "v1", "pods").orElseThrow(() -> new StatusException(404, "NotFound", "the server could not find the requested resource"));
        }
        ResourceDefinition def = registry.find(info.group(), info.version(), info.resource())
                .orElseThrow(() -> new StatusException(404, "NotFound", "the server could not find the requested resource"));
        if (!def.namespaced() && info.namespace() != null && !def.plural().equals("namespaces")) {
            // a cluster-scoped resource has no namespaced path
            throw new StatusException(404, "NotFound", "the server could not find the requested resource");
        }
        if (info.subresource() != null && !def.hasSubresource(info.subresource())) {
            throw new StatusException(404, "NotFound", "the server could not find the requested resource");
        }
        if (info.subresource() == null && !def.allows(info.verb())) {
            throw StatusException.methodNotAllowed("the server does not allow this method on the requested resource");
        }
        if (def.namespaced() && info.name() != null && info.namespace() == null && !info.verb().equals("list") && !info.verb().equals("watch")) {
            throw new StatusException(404, "NotFound", "the server could not find the requested resource");
        }
        return def;
    }

    /** Query parameters, first value each. */
    public record Query(Map<String, String> params) {
        public String get(String k) {
            return params.get(k);
        }

        public boolean flag(String k) {
            String v = params.get(k);
            return v != null && (v.isEmpty() || v.equals("true") || v.equals("1"));
        }

        public long longValue(String k, long dflt) {
            String v = params.get(k);
            if (v == null || v.isEmpty()) {
                return dflt;
            }
            try {
                return Long.parseLong(v);
            } catch (NumberFormatException e) {
                throw StatusException.badRequest("invalid value for " + k + ": " + v);
            }
        }

        WriteOptions writeOptions() {
            String dry = params.get("dryRun");
            if (dry != null && !dry.isEmpty() && !dry.equals("All")) {
                throw StatusException.badRequest("Invalid dry run value: " + dry);
            }
            return new WriteOptions("All".equals(dry), params.get("fieldManager"));
        }
    }

    public Reply handle(RequestInfo info, ResourceDefinition def, Query q, String accept, String contentType, byte[] body) {
        String ns = def.namespaced() ? info.namespace() : null;
        if (def.namespaced() && info.namespace() == null && !info.verb().equals("list")) {
            throw new StatusException(404, "NotFound", "the server could not find the requested resource");
        }
        String sub = info.subresource();
        if ("ephemeralcontainers".equals(sub)) {
            return new EphemeralContainersSubresource(generic, patcher).handle(info, def, q, contentType, body);
        }
        if ("approval".equals(sub)) {
            return new CertificateApprovalSubresource(generic, patcher).handle(info, def, q, contentType, body);
        }
        if ((sub != null && !sub.equals("status")) || SubresourceHandler.isLegacyBindings(info)) {
            return new SubresourceHandler(registry, generic).handle(info, def, q, contentType, body);
        }
        boolean status = "status".equals(sub);
        // Upstream routes no POST to a named object and no PUT/PATCH to a collection: 405, before any body is read.
        boolean named = info.name() != null;
        if ((info.verb().equals("create") && named) || ((info.verb().equals("update") || info.verb().equals("patch")) && !named)) {
            throw StatusException.methodNotAllowed("the server does not allow this method on the requested resource");
        }
        return switch (info.verb()) {
            // resourceVersion=0: any version will do (upstream serves it from the watch cache), so this replica's own
            // state answers without a quorum round; the kubelet's node status check sends it every 10 s per node
            case "get" -> single(def, generic.store().get(def, ns, info.name(),
                    "0".equals(q.get("resourceVersion")) ? ReadConsistency.SERIALIZABLE : ReadConsistency.LINEARIZABLE), accept);
            case "list" -> list(def, ns, q, accept);
            case "create" -> {
                if (status) {
                    throw StatusException.methodNotAllowed("the server does not allow this method on the requested resource");
                }
                FieldValidation.Directive directive = FieldValidation.directive(q.get("fieldValidation"), "CreateOptions");
                ObjectNode obj = MediaTypes.parseObject(contentType, body);
                List<String> warnings = new java.util.ArrayList<>(fields.decodeBody(def, obj, contentType, body, directive));
                warnings.addAll(warnings(def, ns, obj, null));
                yield Reply.created(generic.create(def, ns, obj, q.writeOptions())).withWarnings(warnings);
            }
            case "update" -> {
                FieldValidation.Directive directive = FieldValidation.directive(q.get("fieldValidation"), "UpdateOptions");
                ObjectNode obj = MediaTypes.parseObject(contentType, body);
                List<String> warnings = fields.decodeBody(def, obj, contentType, body, directive);
                if (status) {
                    yield Reply.ok(generic.guaranteedUpdate(def, ns, info.name(), true, cur -> {
                        long rv = Objects.resourceVersion(obj);
                        if (rv != 0) {
                            Objects.meta(cur).put("resourceVersion", String.valueOf(rv));
                        }
                        if (obj.has("status")) {
                            cur.set("status", obj.get("status"));
                        }
                        return cur;
                    }, q.writeOptions())).withWarnings(warnings);
                }
                ObjectNode stored = def.kind().equals("Namespace") ? generic.store().getOrNull(def, ns, info.name(), ReadConsistency.SERIALIZABLE) : null;
                List<String> more = warnings(def, ns, obj, stored);
                yield Reply.ok(generic.update(def, ns, info.name(), obj, q.writeOptions())).withWarnings(more).withWarnings(warnings);
            }
            case "patch" -> {
                if (body.length == 0) {
                    throw StatusException.badRequest("the body of the request was empty");
                }
                boolean force = q.flag("force");
                String subresource = status ? "status" : null;
                FieldValidation.Directive directive = FieldValidation.directive(q.get("fieldValidation"), "PatchOptions");
                boolean apply = MediaTypes.base(contentType).equals(MediaTypes.APPLY_PATCH);
                if (apply && MediaTypes.parse(contentType, body) instanceof ObjectNode config) {
                    fields.decodeApplyConfiguration(def, ns, info.name(), config);
                }
                List<String> warnings = new java.util.ArrayList<>();
                try {
                    ObjectNode out = generic.guaranteedUpdate(def, ns, info.name(), status, cur -> {
                        // the patchers may change the object they are given: the namespace check compares with the stored one
                        ObjectNode before = def.kind().equals("Namespace") ? cur.deepCopy() : null;
                        ObjectNode patched = MediaTypes.checkObjectMeta(patcher.apply(def, contentType, cur, body, q.get("fieldManager"), force, subresource));
                        warnings.clear();
                        if (!apply) {
                            warnings.addAll(fields.decodePatched(def, patched, contentType, body, directive));
                        }
                        if (!status) {
                            warnings.addAll(warnings(def, ns, patched, before));
                        }
                        return patched;
                    }, q.writeOptions());
                    yield Reply.ok(out).withWarnings(warnings);
                } catch (StatusException e) {
                    // An apply patch creates a missing object (upstream's create-on-update for apply): the
                    // configuration is applied to an object that has only its identity, then created.
                    if (e.code() != 404 || status || !MediaTypes.base(contentType).equals(MediaTypes.APPLY_PATCH)
                            || generic.store().getOrNull(def, ns, info.name(), ReadConsistency.LINEARIZABLE) != null) {
                        throw e;
                    }
                    ObjectNode empty = Objects.JSON.createObjectNode().put("apiVersion", def.apiVersion()).put("kind", def.kind());
                    empty.putObject("metadata").put("name", info.name());
                    if (ns != null) {
                        Objects.meta(empty).put("namespace", ns);
                    }
                    ObjectNode obj = patcher.apply(def, contentType, empty, body, q.get("fieldManager"), force, null);
                    yield Reply.created(generic.create(def, ns, obj, q.writeOptions())).withWarnings(warnings(def, ns, obj, null));
                }
            }
            case "delete" -> delete(def, ns, info.name(), q, contentType, body);
            case "deletecollection" -> deleteCollection(def, ns, q);
            default -> throw StatusException.methodNotAllowed("the server does not allow this method on the requested resource");
        };
    }

    private Reply single(ResourceDefinition def, ObjectNode obj, String accept) {
        if (MediaTypes.wantsTable(accept)) {
            return Reply.ok(Tables.table(def, List.of(obj), Objects.meta(obj).path("resourceVersion").asText(), null, true, false));
        }
        return Reply.ok(obj);
    }

    /** The filter of ?labelSelector= and ?fieldSelector=; 400 on a malformed selector. */
    public static Predicate<ObjectNode> filter(ResourceDefinition def, Query q) {
        LabelSelector ls;
        FieldSelector fs;
        try {
            ls = LabelSelector.parse(q.get("labelSelector"));
            fs = FieldSelector.parse(q.get("fieldSelector"));
        } catch (IllegalArgumentException e) {
            throw StatusException.badRequest(e.getMessage());
        }
        for (FieldSelector.Term t : fs.terms()) {
            if (def.strategy().fieldValue(Objects.JSON.createObjectNode(), t.field()) == null) {
                throw StatusException.badRequest("field label not supported: " + t.field());
            }
        }
        LabelSelector labels = ls;
        FieldSelector fields = fs;
        return o -> (labels.isEverything() || labels.matches(Objects.labels(o)))
                && (fields.isEverything() || fields.matches(f -> def.strategy().fieldValue(o, f)));
    }

    private Reply list(ResourceDefinition def, String ns, Query q, String accept) {
        Predicate<ObjectNode> filter = filter(def, q);
        String rv = q.get("resourceVersion");
        ReadConsistency consistency = "0".equals(rv) ? ReadConsistency.SERIALIZABLE : ReadConsistency.LINEARIZABLE;
        String match = q.get("resourceVersionMatch");
        if (match != null && !match.isEmpty() && !match.equals("Exact") && !match.equals("NotOlderThan")) {
            throw StatusException.invalid("meta.k8s.io", "ListOptions", "", List.of(new StatusException.Cause("FieldValueNotSupported",
                    "Unsupported value: \"" + match + "\": supported values: \"Exact\", \"NotOlderThan\"", "resourceVersionMatch")));
        }
        boolean hasRv = rv != null && !rv.isEmpty();
        if (match != null && !match.isEmpty() && !hasRv) {
            throw StatusException.invalid("meta.k8s.io", "ListOptions", "", List.of(new StatusException.Cause("FieldValueForbidden",
                    "Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided", "resourceVersionMatch")));
        }
        if ("Exact".equals(match) && "0".equals(rv)) {
            throw StatusException.invalid("meta.k8s.io", "ListOptions", "", List.of(new StatusException.Cause("FieldValueForbidden",
                    "Forbidden: resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\"", "resourceVersionMatch")));
        }
        long at = 0;
        if (hasRv && !rv.equals("0")) {
            long wanted = q.longValue("resourceVersion", 0);
            awaitRevision(wanted);
            if ("Exact".equals(match)) {
                at = wanted;
            }
        }
        ResourceStore.Page page = generic.store().list(def, ns, filter, q.longValue("limit", 0), q.get("continue"), consistency, at);
        String revision = String.valueOf(page.revision());
        if (MediaTypes.wantsTable(accept)) {
            return Reply.ok(Tables.table(def, page.items(), revision, page.continueToken(), true,
                    "Object".equals(q.get("includeObject"))));
        }
        ObjectNode list = Objects.JSON.createObjectNode();
        list.put("kind", def.kind() + "List").put("apiVersion", def.apiVersion());
        ObjectNode meta = list.putObject("metadata");
        meta.put("resourceVersion", revision);
        if (page.continueToken() != null) {
            meta.put("continue", page.continueToken());
            meta.put("remainingItemCount", page.remaining());
        }
        ArrayNode items = list.putArray("items");
        page.items().forEach(items::add);
        return Reply.ok(list);
    }

    /** How long a list waits for this replica to reach a resourceVersion it has not seen yet (upstream's watch cache: 3 s). */
    static final long TOO_LARGE_WAIT_MS = 3_000;

    /**
     * Waits until this replica's store has applied {@code revision}, as upstream's watch cache waits to be fresh enough;
     * then, still behind, the list fails as upstream's: 504 Timeout, cause ResourceVersionTooLarge, Retry-After 1.
     */
    private void awaitRevision(long revision) {
        long deadline = System.nanoTime() + TOO_LARGE_WAIT_MS * 1_000_000;
        long current = generic.store().kv().currentRevision();
        while (current < revision && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            current = generic.store().kv().currentRevision();
        }
        if (current < revision) {
            throw new StatusException(504, "Timeout", "Too large resource version: " + revision + ", current: " + current, null, null, null,
                    List.of(new StatusException.Cause("ResourceVersionTooLarge", "Too large resource version", null)), 1);
        }
    }

    private Reply delete(ResourceDefinition def, String ns, String name, Query q, String contentType, byte[] body) {
        long preRv = 0;
        String preUid = null;
        Long grace = q.params().containsKey("gracePeriodSeconds") ? q.longValue("gracePeriodSeconds", 0) : null;
        String propagation = q.get("propagationPolicy");
        boolean dryRun = q.writeOptions().dryRun();
        if (body != null && body.length > 0) {
            // JSON, YAML or protobuf DeleteOptions (drain's fallback DELETE of pods sends protobuf).
            JsonNode opts = MediaTypes.parse(contentType, body);
            JsonNode pre = opts.path("preconditions");
            if (pre.has("resourceVersion")) {
                preRv = pre.path("resourceVersion").asLong();
            }
            if (pre.has("uid")) {
                preUid = pre.path("uid").asText();
            }
            if (opts.has("gracePeriodSeconds") && !opts.get("gracePeriodSeconds").isNull()) {
                grace = opts.get("gracePeriodSeconds").asLong();
            }
            if (opts.has("propagationPolicy") && !opts.get("propagationPolicy").isNull()) {
                propagation = opts.get("propagationPolicy").asText();
            } else if (propagation == null && opts.path("orphanDependents").isBoolean()) {
                // The deprecated predecessor of propagationPolicy.
                propagation = opts.get("orphanDependents").asBoolean() ? "Orphan" : "Background";
            }
            if (opts.path("dryRun").isArray() && opts.path("dryRun").toString().contains("All")) {
                dryRun = true;
            }
        }
        ObjectNode deleted = generic.delete(def, ns, name, preRv, preUid, grace, propagation,
                new WriteOptions(dryRun, null));
        if (deleted.path("metadata").has("deletionTimestamp") && !deleted.path("metadata").path("finalizers").isEmpty()) {
            return new Reply(202, deleted, MediaTypes.JSON, null);
        }
        // Upstream answers a completed delete with the object for most kinds, a Status for some; kubectl handles both.
        return Reply.ok(deleted);
    }

    private Reply deleteCollection(ResourceDefinition def, String ns, Query q) {
        ResourceStore.Page page = generic.store().list(def, ns, filter(def, q), 0, null, ReadConsistency.LINEARIZABLE, 0);
        ObjectNode list = Objects.JSON.createObjectNode();
        list.put("kind", def.kind() + "List").put("apiVersion", def.apiVersion());
        list.putObject("metadata").put("resourceVersion", String.valueOf(page.revision()));
        ArrayNode items = list.putArray("items");
        for (ObjectNode o : page.items()) {
            try {
                items.add(generic.delete(def, def.namespaced() ? Objects.namespace(o) : null, Objects.name(o), 0, null,
                        q.params().containsKey("gracePeriodSeconds") ? q.longValue("gracePeriodSeconds", 0) : null,
                        q.get("propagationPolicy"), q.writeOptions()));
            } catch (StatusException e) {
                if (e.code() != 404) {
                    throw e;
                }
            }
        }
        return Reply.ok(list);
    }
}
