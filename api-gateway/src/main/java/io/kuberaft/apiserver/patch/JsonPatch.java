package io.kuberaft.apiserver.patch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.kubeapi.StatusException;

import java.util.ArrayList;
import java.util.List;

/** RFC 6902 JSON Patch: add, remove, replace, move, copy, test, with RFC 6901 pointers. */
public final class JsonPatch {
    private JsonPatch() {
    }

    public static JsonNode apply(JsonNode doc, JsonNode patch) {
        if (!patch.isArray()) {
            throw StatusException.badRequest("json: cannot unmarshal object into Go value of type jsonpatch.Patch");
        }
        JsonNode result = doc.deepCopy();
        for (JsonNode op : patch) {
            String kind = op.path("op").asText("");
            String path = op.path("path").asText(null);
            if (path == null) {
                throw StatusException.badRequest("the server rejected our request due to an error in our request: missing path in " + op);
            }
            switch (kind) {
                case "add" -> result = add(result, path, value(op));
                case "remove" -> result = remove(result, path);
                case "replace" -> {
                    get(result, path);
                    result = add(remove(result, path), path, value(op));
                }
                case "move" -> {
                    String from = op.path("from").asText();
                    JsonNode v = get(result, from);
                    result = add(remove(result, from), path, v);
                }
                case "copy" -> result = add(result, path, get(result, op.path("from").asText()).deepCopy());
                case "test" -> {
                    if (!get(result, path).equals(value(op))) {
                        throw new StatusException(422, "Invalid", "the server rejected our request due to an error in our request: testing value " + path + " failed");
                    }
                }
                default -> throw StatusException.badRequest("Unexpected kind: " + kind);
            }
        }
        return result;
    }

    private static JsonNode value(JsonNode op) {
        if (!op.has("value")) {
            throw StatusException.badRequest("the server rejected our request due to an error in our request: missing value in " + op);
        }
        return op.get("value").deepCopy();
    }

    private static List<String> tokens(String path) {
        List<String> out = new ArrayList<>();
        if (path.isEmpty()) {
            return out;
        }
        if (!path.startsWith("/")) {
            throw StatusException.badRequest("the server rejected our request due to an error in our request: invalid path " + path);
        }
        for (String t : path.substring(1).split("/", -1)) {
            out.add(t.replace("~1", "/").replace("~0", "~"));
        }
        return out;
    }

    private static JsonNode get(JsonNode doc, String path) {
        JsonNode cur = doc;
        for (String t : tokens(path)) {
            cur = cur.isArray() ? cur.get(index(t, cur.size(), false)) : cur.get(t);
            if (cur == null) {
                throw new StatusException(422, "Invalid", "the server rejected our request due to an error in our request: doc is missing path: \"" + path + "\"");
            }
        }
        return cur;
    }

    private static int index(String t, int size, boolean forAdd) {
        if (forAdd && t.equals("-")) {
            return size;
        }
        try {
            int i = Integer.parseInt(t);
            if (i < 0 || i > (forAdd ? size : size - 1)) {
                throw new NumberFormatException();
            }
            return i;
        } catch (NumberFormatException e) {
            throw new StatusException(422, "Invalid", "the server rejected our request due to an error in our request: invalid array index " + t);
        }
    }

    private static JsonNode add(JsonNode doc, String path, JsonNode value) {
        List<String> ts = tokens(path);
        if (ts.isEmpty()) {
            return value;
        }
        JsonNode parent = get(doc, "/" + String.join("/", ts.subList(0, ts.size() - 1).stream()
                .map(t -> t.replace("~", "~0").replace("/", "~1")).toList()));
        if (ts.size() == 1) {
            parent = doc;
        }
        String last = ts.get(ts.size() - 1);
        if (parent instanceof ArrayNode a) {
            a.insert(index(last, a.size(), true), value);
        } else if (parent instanceof ObjectNode o) {
            o.set(last, value);
        } else {
            throw new StatusException(422, "Invalid", "the server rejected our request due to an error in our request: doc is missing path: \"" + path + "\"");
        }
        return doc;
    }

    private static JsonNode remove(JsonNode doc, String path) {
        List<String> ts = tokens(path);
        if (ts.isEmpty()) {
            throw StatusException.badRequest("cannot remove the whole document");
        }
        JsonNode parent = ts.size() == 1 ? doc : get(doc, "/" + String.join("/", ts.subList(0, ts.size() - 1).stream()
                .map(t -> t.replace("~", "~0").replace("/", "~1")).toList()));
        String last = ts.get(ts.size() - 1);
        if (parent instanceof ArrayNode a) {
            a.remove(index(last, a.size(), false));
        } else if (parent instanceof ObjectNode o && o.has(last)) {
            o.remove(last);
        } else {
            throw new StatusException(422, "Invalid", "the server rejected our request due to an error in our request: Unable to remove nonexistent key: " + last + ": missing value");
        }
        return doc;
    }
}
