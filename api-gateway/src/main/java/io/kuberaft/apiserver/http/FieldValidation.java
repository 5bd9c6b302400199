package io.kuberaft.apiserver.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.openapi.OpenApi;
import io.kuberaft.apiserver.openapi.SchemaDecoder;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.kubeapi.StatusException;

import java.util.ArrayList;
import java.util.List;

/**
 * Server-side field validation as upstream 1.32 does it: a request body is decoded against its kind's schema
 * (from {@link OpenApi}); a value of the wrong JSON type is always a 400, and unknown or duplicate fields are
 * handled by the {@code fieldValidation} query parameter — {@code Strict} fails the request, {@code Warn} (the
 * default) and {@code Ignore} drop them, {@code Warn} with one {@code Warning} header each.
 */
public final class FieldValidation {
    /** The values of the {@code fieldValidation} query parameter. */
    public enum Directive { IGNORE, WARN, STRICT }

    private static final int MAX_PATCH_IN_MESSAGE = 1024;
    private final OpenApi openApi;

    public FieldValidation(OpenApi openApi) {
        this.openApi = openApi;
    }

    /**
     * The directive of a request; an unknown value is a 422 on the verb's options kind ({@code CreateOptions},
     * {@code UpdateOptions}, {@code PatchOptions}), as upstream validates the options.
     */
    public static Directive directive(String value, String optionsKind) {
        if (value == null || value.isEmpty() || value.equals("Warn")) {
            return Directive.WARN;
        } else if (value.equals("Strict")) {
            return Directive.STRICT;
        } else if (value.equals("Ignore")) {
            return Directive.IGNORE;
        }
        StatusException.Cause c = new StatusException.Cause("FieldValueNotSupported",
                "Unsupported value: \"" + value + "\": supported values: \"Ignore\", \"Strict\", \"Warn\"", "fieldValidation");
        throw new StatusException(422, "Invalid", optionsKind + ".meta.k8s.io \"\" is invalid: fieldValidation: " + c.message(),
                "meta.k8s.io", optionsKind, "", List.of(c), null);
    }

    /**
     * A create or update body, as decoded into {@code obj}: 400 for a value of the wrong type and, with Strict, for
     * unknown or duplicate fields; otherwise unknown fields are removed from {@code obj}.
     *
     * @return the warnings to send (Warn only)
     */
    public List<String> decodeBody(ResourceDefinition def, ObjectNode obj, String contentType, byte[] body, Directive d) {
        SchemaDecoder decoder = openApi.decoder(def);
        List<String> strict = new ArrayList<>();
        if (decoder != null) {
            SchemaDecoder.Result r = decoder.decode(obj, d != Directive.STRICT);
            if (r.typeError() != null) {
                throw StatusException.badRequest(cannotBeHandled(def) + r.typeError());
            }
            strict.addAll(r.unknownFields());
        }
        strict.addAll(MediaTypes.duplicateFields(contentType, body));
        return outcome(d, strict, msg -> StatusException.badRequest(cannotBeHandled(def) + msg));
    }

    /**
     * The object a JSON, merge or strategic merge patch produced: 422 on the field {@code patch} for a value of the
     * wrong type and, with Strict, for unknown or duplicate fields (upstream's patchers decode the result the same
     * way); otherwise unknown fields are removed from {@code patched}.
     */
    public List<String> decodePatched(ResourceDefinition def, ObjectNode patched, String contentType, byte[] patch, Directive d) {
        SchemaDecoder decoder = openApi.decoder(def);
        List<String> strict = new ArrayList<>(MediaTypes.duplicateFields(contentType, patch));
        if (decoder != null) {
            SchemaDecoder.Result r = decoder.decode(patched, d != Directive.STRICT);
            if (r.typeError() != null) {
                throw patchInvalid(patch, r.typeError());
            }
            strict.addAll(r.unknownFields());
        }
        return outcome(d, strict, msg -> patchInvalid(patch, msg));
    }

    /**
     * A server-side apply configuration: upstream converts it to a typed value first, which refuses fields the
     * schema does not declare whatever the directive ({@code .spec.foo: field not declared in schema}).
     */
    public void decodeApplyConfiguration(ResourceDefinition def, String namespace, String name, ObjectNode config) {
        SchemaDecoder decoder = openApi.decoder(def);
        if (decoder == null) {
            return;
        }
        SchemaDecoder.Result r = decoder.decode(config.deepCopy(), false);
        String what = "failed to create typed patch object (" + (namespace == null ? "" : namespace) + "/" + name + "; "
                + def.apiVersion() + ", Kind=" + def.kind() + "): ";
        if (r.typeError() != null) {
            throw StatusException.badRequest(what + r.typeError());
        }
        if (!r.unknownFields().isEmpty()) {
            String first = r.unknownFields().get(0);
            String path = first.substring(first.indexOf('"') + 1, first.lastIndexOf('"'));
            throw StatusException.badRequest(what + "." + path + ": field not declared in schema");
        }
    }

    private static List<String> outcome(Directive d, List<String> strict, java.util.function.Function<String, StatusException> error) {
        if (strict.isEmpty() || d == Directive.IGNORE) {
            return List.of();
        }
        if (d == Directive.STRICT) {
            throw error.apply("strict decoding error: " + String.join(", ", strict));
        }
        return List.copyOf(strict);
    }

    /** Upstream's decoding error prefix: {@code Pod in version "v1" cannot be handled as a Pod: }. */
    private static String cannotBeHandled(ResourceDefinition def) {
        return def.kind() + " in version \"" + def.version() + "\" cannot be handled as a " + def.kind() + ": ";
    }

    private static StatusException patchInvalid(byte[] patch, String message) {
        String value = new String(patch, java.nio.charset.StandardCharsets.UTF_8).strip();
        if (value.length() > MAX_PATCH_IN_MESSAGE) {
            value = value.substring(0, MAX_PATCH_IN_MESSAGE) + "...";
        }
        String quoted = "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
        StatusException.Cause c = new StatusException.Cause("FieldValueInvalid", "Invalid value: " + quoted + ": " + message, "patch");
        return new StatusException(422, "Invalid", " \"\" is invalid: patch: " + c.message(), "", "", "", List.of(c), null);
    }
}
