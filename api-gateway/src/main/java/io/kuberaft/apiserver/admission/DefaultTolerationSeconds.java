package io.kuberaft.apiserver.admission;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.strategy.Json;

import java.util.Set;

/**
 * Upstream's DefaultTolerationSeconds: pods tolerate {@code node.kubernetes.io/not-ready} and
 * {@code node.kubernetes.io/unreachable} NoExecute taints for 300 s unless they already tolerate them.
 */
public final class DefaultTolerationSeconds implements AdmissionPlugin {
    public static final String NOT_READY = "node.kubernetes.io/not-ready";
    public static final String UNREACHABLE = "node.kubernetes.io/unreachable";
    private final long seconds;

    public DefaultTolerationSeconds(long seconds) {
        this.seconds = seconds;
    }

    @Override
    public String name() {
        return "DefaultTolerationSeconds";
    }

    @Override
    public Set<Operation> operations() {
        return Set.of(Operation.CREATE);
    }

    @Override
    public boolean mutating() {
        return true;
    }

    @Override
    public void admit(Attributes a) {
        if (!a.is("", "Pod")) {
            return;
        }
        ObjectNode spec = Json.obj(a.object(), "spec");
        boolean notReady = false;
        boolean unreachable = false;
        for (JsonNode t : spec.path("tolerations")) {
            String key = t.path("key").asText("");
            String effect = t.path("effect").asText("");
            boolean noExecute = effect.isEmpty() || effect.equals("NoExecute");
            notReady |= noExecute && (key.isEmpty() || key.equals(NOT_READY));
            unreachable |= noExecute && (key.isEmpty() || key.equals(UNREACHABLE));
        }
        ArrayNode tolerations = Json.arr(spec, "tolerations");
        if (!notReady) {
            add(tolerations, NOT_READY);
        }
        if (!unreachable) {
            add(tolerations, UNREACHABLE);
        }
    }

    private void add(ArrayNode tolerations, String key) {
        tolerations.addObject().put("effect", "NoExecute").put("key", key).put("operator", "Exists").put("tolerationSeconds", seconds);
    }
}
