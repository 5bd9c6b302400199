package io.kuberaft.chaos.history;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * One line of a history, as Jepsen records it: a process invokes an operation, which then
 * completes {@code ok}, {@code fail} (certainly did not happen) or {@code info} (indeterminate:
 * may or may not have happened, at any time after its invocation).
 *
 * @param process the logical client (one operation in flight at a time)
 * @param type    invoke | ok | fail | info
 * @param f       read | write | cas | add | watch ... (the workload's vocabulary)
 * @param key     the register key (null for workloads without keys)
 * @param value   the operation's argument or result (JSON: a number, null, [from, to], a list)
 * @param time    nanoseconds since the start of the test
 * @param node    the replica the client talked to (informational)
 * @param error   why an op failed or is indeterminate (informational)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Op(int process, Type type, String f, String key, JsonNode value, long time, String node, String error) {
    public enum Type {
        invoke, ok, fail, info
    }

    public static Op invoke(int process, String f, String key, JsonNode value, long time) {
        return new Op(process, Type.invoke, f, key, value, time, null, null);
    }

    public Op complete(Type t, JsonNode result, long at, String err) {
        return new Op(process, t, f, key, result, at, node, err);
    }

    public Op withNode(String n) {
        return new Op(process, type, f, key, value, time, n, error);
    }
}
