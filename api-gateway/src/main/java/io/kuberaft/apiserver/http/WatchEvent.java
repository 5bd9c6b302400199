package io.kuberaft.apiserver.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.Objects;
import io.kuberaft.apiserver.registry.WatchObject;

import java.nio.charset.StandardCharsets;

/**
 * One event of a watch stream, {@code {"type":…,"object":…}}. Encoded by whoever writes it out (the connection's event
 * loop, not the apply thread that delivers it); an object shared by every watcher of the event ({@code shared}) is
 * encoded once for all of them.
 */
public record WatchEvent(String type, ObjectNode object, WatchObject shared) {
    private static final byte[] TYPE = "{\"type\":\"".getBytes(StandardCharsets.UTF_8);
    private static final byte[] OBJECT = "\",\"object\":".getBytes(StandardCharsets.UTF_8);

    static WatchEvent of(String type, ObjectNode object) {
        return new WatchEvent(type, object, null);
    }

    static WatchEvent of(String type, WatchObject shared) {
        return new WatchEvent(type, shared.object(), shared);
    }

    /** The event's JSON, as Jackson would write {@link #node()}: the type is one of the watch event types, nothing to escape. */
    public byte[] json() {
        if (shared == null) {
            return MediaTypes.encode(node(), false);
        }
        byte[] t = type.getBytes(StandardCharsets.UTF_8);
        byte[] o = shared.json();
        byte[] out = new byte[TYPE.length + t.length + OBJECT.length + o.length + 1];
        int at = 0;
        System.arraycopy(TYPE, 0, out, at, TYPE.length);
        at += TYPE.length;
        System.arraycopy(t, 0, out, at, t.length);
        at += t.length;
        System.arraycopy(OBJECT, 0, out, at, OBJECT.length);
        at += OBJECT.length;
        System.arraycopy(o, 0, out, at, o.length);
        out[out.length - 1] = '}';
        return out;
    }

    /** The event as a tree (a new one each call). */
    public ObjectNode node() {
        ObjectNode ev = Objects.JSON.createObjectNode();
        ev.put("type", type);
        ev.set("object", object);
        return ev;
    }
}
