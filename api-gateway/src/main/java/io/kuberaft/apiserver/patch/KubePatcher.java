package io.kuberaft.apiserver.patch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.http.MediaTypes;
import io.kuberaft.apiserver.registry.GenericRegistry;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.kubeapi.StatusException;

import java.util.List;

/**
 * The PATCH media types as upstream serves them: JSON Patch, JSON merge patch, strategic merge patch (built-in
 * kinds; 415 for custom resources, as upstream) and server-side apply. Field ownership of the other writes is
 * the {@link FieldManager} hook's, which {@link #install} puts into the registry.
 */
public final class KubePatcher implements Patcher {
    private final PatchMeta meta;

    public KubePatcher(PatchMeta meta) {
        this.meta = meta;
    }

    /** A patcher over the built-in patch metadata, with managedFields tracking installed into {@code generic}. */
    public static KubePatcher install(GenericRegistry generic) {
        return install(generic, BuiltinPatchMeta.INSTANCE);
    }

    public static KubePatcher install(GenericRegistry generic, PatchMeta meta) {
        generic.managedFieldsHook(new FieldManager(meta));
        return new KubePatcher(meta);
    }

    @Override
    public ObjectNode apply(ResourceDefinition def, String contentType, ObjectNode current, byte[] body, String fieldManager, boolean force) {
        return apply(def, contentType, current, body, fieldManager, force, null);
    }

    @Override
    public ObjectNode apply(ResourceDefinition def, String contentType, ObjectNode current, byte[] body, String fieldManager,
                            boolean force, String subresource) {
        FieldManager.clearApplied();
        String base = MediaTypes.base(contentType);
        validateOptions(base, fieldManager, force);
        JsonNode out = switch (base) {
            case MediaTypes.JSON_PATCH -> JsonPatch.apply(current, MediaTypes.parse(MediaTypes.JSON, body));
            case MediaTypes.MERGE_PATCH -> MergePatch.apply(current, MediaTypes.parse(MediaTypes.JSON, body));
            case MediaTypes.STRATEGIC_MERGE_PATCH -> {
                if (!meta.supportsStrategicMerge(def.group(), def.kind())) {
                    throw StatusException.unsupportedMediaType("the body of the request was in an unknown format - accepted media types include: "
                            + "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml");
                }
                JsonNode patch = MediaTypes.parse(MediaTypes.JSON, body);
                if (!(patch instanceof ObjectNode p)) {
                    throw StatusException.badRequest("json: cannot unmarshal " + (patch.isArray() ? "array" : "value")
                            + " into Go value of type map[string]interface {}");
                }
                yield StrategicMergePatch.apply(current, p, new PatchMeta.Kind(meta, def.group(), def.kind()));
            }
            case MediaTypes.APPLY_PATCH -> {
                JsonNode config = MediaTypes.parse(MediaTypes.APPLY_PATCH, body);
                if (!(config instanceof ObjectNode c)) {
                    throw StatusException.badRequest("error decoding YAML: the applied configuration must be an object");
                }
                ObjectNode result = ServerSideApply.apply(def, meta, current, c, fieldManager, force, subresource);
                FieldManager.markApplied(result);
                yield result;
            }
            default -> throw StatusException.unsupportedMediaType("the body of the request was in an unknown format - accepted media types include: "
                    + "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json");
        };
        if (!(out instanceof ObjectNode o)) {
            throw StatusException.badRequest("the patch did not produce an object");
        }
        return o;
    }

    /** Upstream's ValidatePatchOptions: apply needs a field manager, force is for apply only, managers are short and printable. */
    private static void validateOptions(String base, String fieldManager, boolean force) {
        StatusException.Cause cause = null;
        boolean apply = base.equals(MediaTypes.APPLY_PATCH);
        if (apply && (fieldManager == null || fieldManager.isEmpty())) {
            cause = new StatusException.Cause("FieldValueRequired", "Required value: is required for apply patch", "fieldManager");
        } else if (!apply && force) {
            cause = new StatusException.Cause("FieldValueForbidden", "Forbidden: may not be specified for non-apply patch", "force");
        } else if (fieldManager != null && fieldManager.length() > 128) {
            cause = new StatusException.Cause("FieldValueTooLong", "Too long: may not be more than 128 bytes", "fieldManager");
        } else if (fieldManager != null && !fieldManager.chars().allMatch(ch -> ch >= 0x20 && ch < 0x7f || Character.isLetterOrDigit(ch))) {
            cause = new StatusException.Cause("FieldValueInvalid", "Invalid value: \"" + fieldManager + "\": must consist of printable characters",
                    "fieldManager");
        }
        if (cause != null) {
            throw new StatusException(422, "Invalid", "PatchOptions.meta.k8s.io \"\" is invalid: " + cause.field() + ": " + cause.message(),
                    "meta.k8s.io", "PatchOptions", "", List.of(cause), null);
        }
    }

    /** The object a create-on-apply starts from: kind, apiVersion, name and namespace. */
    public static ObjectNode emptyObject(ResourceDefinition def, String namespace, String name) {
        ObjectNode o = io.kuberaft.apiserver.registry.Objects.JSON.createObjectNode();
        o.put("apiVersion", def.apiVersion()).put("kind", def.kind());
        ObjectNode m = o.putObject("metadata");
        m.put("name", name);
        if (namespace != null) {
            m.put("namespace", namespace);
        }
        return o;
    }
}
