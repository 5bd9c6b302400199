package io.kuberaft.kubeapi;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;

/**
 * A failed API call as Kubernetes reports it: a {@code meta.k8s.io/v1 Status} with code, reason and
 * message (ARCHITECTURE.md decision 7). Thrown anywhere in the server, rendered once at the edge.
 */
public class StatusException extends RuntimeException {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One field problem of a 422 Invalid: {@code {"reason":"FieldValueRequired","field":"spec.containers"}}. */
    public record Cause(String reason, String message, String field) {
    }

    private final int code;
    private final String reason;
    private final String group;
    private final String kind;
    private final String name;
    private final List<Cause> causes;
    private final Integer retryAfterSeconds;

    public StatusException(int code, String reason, String message) {
        this(code, reason, message, null, null, null, List.of(), null);
    }

    public StatusException(int code, String reason, String message, String group, String kind, String name,
                           List<Cause> causes, Integer retryAfterSeconds) {
        super(message);
        this.code = code;
        this.reason = reason;
        this.group = group;
        this.kind = kind;
        this.name = name;
        this.causes = causes;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public int code() {
        return code;
    }

    public String reason() {
        return reason;
    }

    public List<Cause> causes() {
        return causes;
    }

    public Integer retryAfterSeconds() {
        return retryAfterSeconds;
    }

    /** The Status object, as the body of the error response or of a watch ERROR event. */
    public ObjectNode toStatus() {
        ObjectNode s = JSON.createObjectNode();
        s.put("kind", "Status").put("apiVersion", "v1");
        s.putObject("metadata");
        s.put("status", "Failure").put("message", getMessage()).put("reason", reason);
        // upstream's field order (details before code), and details always present on a Forbidden or a NotFound, even empty
        // (kubectl debug reads details.name of a 404 to tell a missing subresource from a missing pod)
        if (name != null || kind != null || !causes.isEmpty() || retryAfterSeconds != null || code == 403 || code == 404) {
            ObjectNode d = s.putObject("details");
            if (name != null) {
                d.put("name", name);
            }
            if (group != null) {
                d.put("group", group);
            }
            if (kind != null) {
                d.put("kind", kind);
            }
            if (!causes.isEmpty()) {
                ArrayNode arr = d.putArray("causes");
                for (Cause c : causes) {
                    ObjectNode cn = arr.addObject();
                    cn.put("reason", c.reason());
                    cn.put("message", c.message());
                    if (c.field() != null) {
                        cn.put("field", c.field());
                    }
                }
            }
            if (retryAfterSeconds != null) {
                d.put("retryAfterSeconds", retryAfterSeconds);
            }
        }
        s.put("code", code);
        return s;
    }

    /** {@code group/kind} as upstream prints a qualified resource: "pods", "deployments.apps". */
    private static String qualified(String group, String resource) {
        return group == null || group.isEmpty() ? resource : resource + "." + group;
    }

    public static StatusException notFound(String group, String resource, String name) {
        return new StatusException(404, "NotFound", qualified(group, resource) + " \"" + name + "\" not found",
                group, resource, name, List.of(), null);
    }

    public static StatusException alreadyExists(String group, String resource, String name) {
        return new StatusException(409, "AlreadyExists", qualified(group, resource) + " \"" + name + "\" already exists",
                group, resource, name, List.of(), null);
    }

    public static StatusException conflict(String group, String resource, String name, String why) {
        return new StatusException(409, "Conflict", "Operation cannot be fulfilled on " + qualified(group, resource)
                + " \"" + name + "\": " + why, group, resource, name, List.of(), null);
    }

    public static StatusException badRequest(String message) {
        return new StatusException(400, "BadRequest", message);
    }

    public static StatusException methodNotAllowed(String message) {
        return new StatusException(405, "MethodNotAllowed", message);
    }

    public static StatusException gone(String message) {
        return new StatusException(410, "Expired", message);
    }

    public static StatusException tooLarge(String message) {
        return new StatusException(413, "RequestEntityTooLarge", message);
    }

    public static StatusException unsupportedMediaType(String message) {
        return new StatusException(415, "UnsupportedMediaType", message);
    }

    public static StatusException internal(String message) {
        return new StatusException(500, "InternalError", message);
    }

    public static StatusException unavailable(String message, int retryAfterSeconds) {
        return new StatusException(503, "ServiceUnavailable", message, null, null, null, List.of(), retryAfterSeconds);
    }

    /** 422: {@code Pod "x" is invalid: spec.containers: Required value}. */
    public static StatusException invalid(String group, String kind, String name, List<Cause> causes) {
        List<String> parts = new ArrayList<>();
        for (Cause c : causes) {
            parts.add(c.field() + ": " + c.message());
        }
        // upstream's qualified kind: "Deployment.apps", "Pod" (kubectl prints "The Deployment ..." from details.kind)
        String qualifiedKind = group == null || group.isEmpty() ? kind : kind + "." + group;
        String msg = qualifiedKind + " \"" + name + "\" is invalid: " + (parts.size() == 1 ? parts.get(0) : "[" + String.join(", ", parts) + "]");
        return new StatusException(422, "Invalid", msg, group, kind, name, causes, null);
    }
}
