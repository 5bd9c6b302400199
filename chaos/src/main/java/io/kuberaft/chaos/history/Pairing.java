package io.kuberaft.chaos.history;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A history's client operations as invocation + completion pairs, in completion order, and the invocations
 * that never completed (indeterminate). Nemesis lines (process &lt; 0) are not client operations and are left out.
 */
public record Pairing(List<Completed> completed, Map<Integer, Op> open) {
    /** One operation: its invocation and its ok / fail / info completion. */
    public record Completed(Op invoke, Op completion) {
    }

    public static Pairing of(List<Op> history) {
        Map<Integer, Op> open = new HashMap<>();
        List<Completed> completed = new ArrayList<>();
        for (Op op : history) {
            if (op.process() < 0) {
                continue;
            }
            if (op.type() == Op.Type.invoke) {
                open.put(op.process(), op);
                continue;
            }
            Op inv = open.remove(op.process());
            if (inv != null) {
                completed.add(new Completed(inv, op));
            }
        }
        return new Pairing(completed, open);
    }
}
