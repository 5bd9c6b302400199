package io.kuberaft.chaos.checker;

import io.kuberaft.chaos.history.History;
import io.kuberaft.chaos.history.Op;

import java.util.ArrayList;
import java.util.List;

/** A small builder of synthetic histories: each call appends one event, times increase by one. */
final class H {
    final List<Op> ops = new ArrayList<>();
    private long t;

    H inv(int p, String f, String key, Object value) {
        ops.add(new Op(p, Op.Type.invoke, f, key, History.v(value), ++t, null, null));
        return this;
    }

    H ok(int p, String f, String key, Object value) {
        ops.add(new Op(p, Op.Type.ok, f, key, History.v(value), ++t, null, null));
        return this;
    }

    H fail(int p, String f, String key, Object value) {
        ops.add(new Op(p, Op.Type.fail, f, key, History.v(value), ++t, null, null));
        return this;
    }

    H info(int p, String f, String key, Object value) {
        ops.add(new Op(p, Op.Type.info, f, key, History.v(value), ++t, null, "timeout"));
        return this;
    }

    /** A completion of any type with an error message. */
    H done(int p, Op.Type type, String f, String key, Object value, String error) {
        ops.add(new Op(p, type, f, key, History.v(value), ++t, null, error));
        return this;
    }

    /** invoke + ok back to back (a sequential op). */
    H seq(int p, String f, String key, Object in, Object out) {
        return inv(p, f, key, in).ok(p, f, key, out);
    }
}
