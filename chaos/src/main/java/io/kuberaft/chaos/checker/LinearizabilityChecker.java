package io.kuberaft.chaos.checker;

import com.fasterxml.jackson.databind.JsonNode;
import io.kuberaft.chaos.history.Op;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Linearizability of a key → register history (read / write / compare-and-set), checked per key with
 * the Wing &amp; Gong search as improved by Lowe (memoizing (linearized set, state) pairs) — the
 * algorithm of Knossos' "wgl" checker and of Porcupine.
 *
 * <p>Real-time order is the order of the history itself (an invocation is recorded before the request
 * is sent, a completion after the answer arrived). {@code fail} operations did not happen and are
 * dropped; {@code info} writes and CASes are indeterminate: they may take effect at any point after their
 * invocation, or never (they have no return event that forces them to be placed); {@code info} and
 * {@code fail} reads are dropped. The search is bounded per key ({@code maxSteps}); when cut off the key
 * is UNKNOWN, never valid.
 */
public final class LinearizabilityChecker {
    private final long maxSteps;

    public LinearizabilityChecker() {
        this(2_000_000);
    }

    public LinearizabilityChecker(long maxSteps) {
        this.maxSteps = maxSteps;
    }

    /** An invocation with its completion (null while none was recorded: treated as info). */
    record Call(int id, Op invoke, Op completion, int invokeIndex, int returnIndex) {
        boolean determinate() {
            return completion != null && completion.type() == Op.Type.ok;
        }

        String describe() {
            Op c = completion;
            JsonNode v = invoke.f().equals("read") && c != null ? c.value() : invoke.value();
            return "p" + invoke.process() + " " + invoke.f() + " " + v + " (" + (c == null ? "pending" : c.type())
                    + ", " + String.format("%.3f", invoke.time() / 1e9) + "s.."
                    + (c == null ? "?" : String.format("%.3f", c.time() / 1e9)) + "s"
                    + (invoke.node() != null ? " via " + invoke.node() : "") + ")";
        }
    }

    public CheckResult check(List<Op> history) {
        CheckResult result = new CheckResult("linearizable-register");
        Map<String, List<Call>> byKey = pair(history);
        int keys = 0;
        long steps = 0;
        for (Map.Entry<String, List<Call>> e : byKey.entrySet()) {
            keys++;
            KeyResult r = checkKey(e.getValue());
            steps += r.steps;
            if (r.validity == CheckResult.Validity.FALSE) {
                result.anomaly("nonlinearizable", e.getKey(), r.detail);
            } else if (r.validity == CheckResult.Validity.UNKNOWN) {
                result.unknown("key " + e.getKey() + ": search cut off after " + r.steps + " steps");
            }
        }
        result.stats.put("keys", keys);
        result.stats.put("search-steps", steps);
        return result;
    }

    /** Pairs each invocation with its process' next completion; groups by key; drops what cannot matter. */
    static Map<String, List<Call>> pair(List<Op> history) {
        Map<Integer, Integer> open = new HashMap<>();
        List<Op> invokes = new ArrayList<>();
        List<Integer> invokeIdx = new ArrayList<>();
        Map<Integer, Op> completion = new HashMap<>();
        Map<Integer, Integer> completionIdx = new HashMap<>();
        for (int i = 0; i < history.size(); i++) {
            Op op = history.get(i);
            if (op.type() == Op.Type.invoke) {
                if (open.containsKey(op.process())) {
                    throw new IllegalArgumentException("process " + op.process() + " invoked twice without completing: " + op);
                }
                open.put(op.process(), invokes.size());
                invokes.add(op);
                invokeIdx.add(i);
            } else {
                Integer n = open.remove(op.process());
                if (n == null) {
                    throw new IllegalArgumentException("completion without invocation: " + op);
                }
                completion.put(n, op);
                completionIdx.put(n, i);
            }
        }
        Map<String, List<Call>> byKey = new LinkedHashMap<>();
        for (int n = 0; n < invokes.size(); n++) {
            Op inv = invokes.get(n);
            Op c = completion.get(n);
            if (c != null && c.type() == Op.Type.fail) {
                continue;
            }
            boolean read = inv.f().equals("read");
            if (read && (c == null || c.type() != Op.Type.ok)) {
                continue;
            }
            if (!read && !inv.f().equals("write") && !inv.f().equals("cas")) {
                continue;
            }
            List<Call> calls = byKey.computeIfAbsent(inv.key(), k -> new ArrayList<>());
            calls.add(new Call(calls.size(), inv, c, invokeIdx.get(n), c == null ? Integer.MAX_VALUE : completionIdx.get(n)));
        }
        return byKey;
    }

    record KeyResult(CheckResult.Validity validity, long steps, String detail) {
    }

    /** The doubly linked list of call and return events of the search. */
    private static final class Entry {
        final Call call;
        final boolean isCall;
        final int order;
        Entry match;
        Entry prev;
        Entry next;

        Entry(Call call, boolean isCall, int order) {
            this.call = call;
            this.isCall = isCall;
            this.order = order;
        }
    }

    private record CacheKey(BitSet linearized, Long state) {
    }

    private record Frame(Entry entry, Long state) {
    }

    KeyResult checkKey(List<Call> calls) {
        List<Entry> events = new ArrayList<>();
        int determinate = 0;
        for (Call c : calls) {
            Entry call = new Entry(c, true, c.invokeIndex());
            events.add(call);
            if (c.determinate()) {
                Entry ret = new Entry(c, false, c.returnIndex());
                call.match = ret;
                ret.match = call;
                events.add(ret);
                determinate++;
            }
        }
        events.sort((a, b) -> Integer.compare(a.order, b.order));
        Entry head = new Entry(null, false, -1);
        Entry prev = head;
        for (Entry e : events) {
            prev.next = e;
            e.prev = prev;
            prev = e;
        }
        BitSet linearized = new BitSet(calls.size());
        Set<CacheKey> cache = new HashSet<>();
        Deque<Frame> stack = new ArrayDeque<>();
        Long state = null;
        Entry entry = head.next;
        long steps = 0;
        int remaining = determinate;
        int deepest = -1;
        Call stuckAt = null;
        Long stuckState = null;
        while (remaining > 0) {
            if (++steps > maxSteps) {
                return new KeyResult(CheckResult.Validity.UNKNOWN, steps, null);
            }
            if (entry != null && entry.isCall) {
                Call c = entry.call;
                Step s = step(state, c);
                if (s.ok) {
                    BitSet next = (BitSet) linearized.clone();
                    next.set(c.id());
                    if (cache.add(new CacheKey(next, s.state))) {
                        stack.push(new Frame(entry, state));
                        state = s.state;
                        linearized = next;
                        if (c.determinate()) {
                            remaining--;
                        }
                        lift(entry);
                        entry = head.next;
                        continue;
                    }
                }
                entry = entry.next;
            } else {
                // A return event (or the end of the list) reached: the op it closes cannot be placed here.
                if (entry != null && stack.size() > deepest) {
                    deepest = stack.size();
                    stuckAt = entry.call;
                    stuckState = state;
                }
                if (stack.isEmpty()) {
                    return new KeyResult(CheckResult.Validity.FALSE, steps, detail(stuckAt, stuckState, deepest, calls));
                }
                Frame f = stack.pop();
                state = f.state;
                linearized = (BitSet) linearized.clone(); // the cached set stays as it was
                linearized.clear(f.entry.call.id());
                if (f.entry.call.determinate()) {
                    remaining++;
                }
                unlift(f.entry);
                entry = f.entry.next;
            }
        }
        return new KeyResult(CheckResult.Validity.TRUE, steps, null);
    }

    private static String detail(Call stuck, Long state, int depth, List<Call> calls) {
        StringBuilder b = new StringBuilder();
        b.append("no linearization: after ").append(depth).append(" of ").append(calls.size())
                .append(" operations placed (register = ").append(state).append("), ")
                .append(stuck == null ? "nothing" : stuck.describe()).append(" cannot take effect");
        // The ops concurrent with the stuck one, for the report.
        if (stuck != null) {
            List<String> around = new ArrayList<>();
            for (Call c : calls) {
                if (c != stuck && c.invokeIndex() < stuck.returnIndex() && c.returnIndex() > stuck.invokeIndex() - 40) {
                    around.add(c.describe());
                }
                if (around.size() >= 12) {
                    break;
                }
            }
            b.append("; around it: ").append(String.join("; ", around));
        }
        return b.toString();
    }

    private static void lift(Entry e) {
        e.prev.next = e.next;
        if (e.next != null) {
            e.next.prev = e.prev;
        }
        Entry m = e.match;
        if (m != null) {
            m.prev.next = m.next;
            if (m.next != null) {
                m.next.prev = m.prev;
            }
        }
    }

    private static void unlift(Entry e) {
        Entry m = e.match;
        if (m != null) {
            m.prev.next = m;
            if (m.next != null) {
                m.next.prev = m;
            }
        }
        e.prev.next = e;
        if (e.next != null) {
            e.next.prev = e;
        }
    }

    private record Step(boolean ok, Long state) {
    }

    /** The register model: read must see the state, write sets it, cas [from, to] needs state == from. */
    private static Step step(Long state, Call c) {
        switch (c.invoke().f()) {
            case "read": {
                Long seen = asLong(c.completion().value());
                return new Step(Objects.equals(seen, state), state);
            }
            case "write":
                return new Step(true, asLong(c.invoke().value()));
            case "cas": {
                JsonNode v = c.invoke().value();
                Long from = asLong(v.get(0));
                return Objects.equals(from, state) ? new Step(true, asLong(v.get(1))) : new Step(false, state);
            }
            default:
                throw new IllegalArgumentException("unknown register op " + c.invoke().f());
        }
    }

    static Long asLong(JsonNode v) {
        return v == null || v.isNull() ? null : v.asLong();
    }
}
