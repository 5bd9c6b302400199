package io.kuberaft.chaos.workload;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.chaos.client.WatchClient;
import io.kuberaft.chaos.cluster.ChaosCluster;
import io.kuberaft.chaos.history.History;
import io.kuberaft.chaos.history.Op;

import java.time.Duration;
import java.util.List;
import java.util.function.Function;

/**
 * A reflector of one collection that records what it sees: a LIST, then watch sessions (with bookmarks)
 * each resumed from the last resourceVersion received, on the next replica when the connection broke
 * or was refused; a relist on 410 Gone. Each LIST is an op {@code list} whose value is
 * {@code {kind, rv, items: [summary...]}}, each session an op {@code watch} whose value is
 * {@code {kind, from, events: [summary with rv and type...]}} (bookmarks as {@code {rv, type: BOOKMARK}}).
 * What an object's summary holds is the caller's {@code summary} function. Runs until the caller's
 * {@link #stopAt} revision is reached or {@link #hardStop} passes.
 */
final class ObjectWatcher implements Runnable {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final ChaosCluster cluster;
    private final History h;
    private final int process;
    private final String kind;
    private final String path;
    private final Function<JsonNode, ObjectNode> summary;
    private int at;
    private volatile long stopAt = Long.MAX_VALUE;
    private volatile long hardStop = Long.MAX_VALUE;
    private volatile long lastRv;

    ObjectWatcher(ChaosCluster cluster, History h, int process, int firstReplica, String kind, String path, Function<JsonNode, ObjectNode> summary) {
        this.cluster = cluster;
        this.h = h;
        this.process = process;
        this.at = firstReplica;
        this.kind = kind;
        this.path = path;
        this.summary = summary;
    }

    /** Stop once the watcher has seen revision {@code rv}, or at {@code deadlineNanos} (System.nanoTime) whatever it saw. */
    void stopAt(long rv, long deadlineNanos) {
        this.stopAt = rv;
        this.hardStop = deadlineNanos;
    }

    long lastRv() {
        return lastRv;
    }

    @Override
    public void run() {
        List<ChaosCluster.Node> nodes = cluster.nodes();
        String rv = null;
        while (System.nanoTime() < hardStop && lastRv < stopAt) {
            ChaosCluster.Node node = nodes.get(at % nodes.size());
            WatchClient c = WatchClient.of(node.apiUrl(), path, TIMEOUT);
            if (rv == null) {
                String[] listed = new String[1];
                Op.Type t = Workload.invoke(h, null, node, process, "list", null, null, () -> {
                    JsonNode l = c.list();
                    listed[0] = l.path("metadata").path("resourceVersion").asText();
                    ObjectNode o = History.JSON.createObjectNode().put("kind", kind).put("rv", Long.parseLong(listed[0]));
                    ArrayNode items = o.putArray("items");
                    l.path("items").forEach(it -> items.add(summary.apply(it)));
                    return o;
                });
                if (t != Op.Type.ok) {
                    at++;
                    sleep(300);
                    continue;
                }
                rv = listed[0];
                lastRv = Long.parseLong(rv);
            }
            long from = Long.parseLong(rv);
            h.add(new Op(process, Op.Type.invoke, "watch", null, History.JSON.createObjectNode().put("kind", kind).put("from", from),
                    h.now(), node.id, null));
            ArrayNode events = History.JSON.createArrayNode();
            WatchClient.Result res = c.watch(rv, 10, ev -> {
                JsonNode o = ev.path("object");
                String type = ev.path("type").asText();
                long evRv = Long.parseLong(o.path("metadata").path("resourceVersion").asText());
                ObjectNode e = type.equals("BOOKMARK") ? History.JSON.createObjectNode() : summary.apply(o);
                e.put("rv", evRv).put("type", type);
                events.add(e);
                lastRv = evRv;
            }, () -> lastRv >= stopAt || System.nanoTime() > hardStop);
            rv = Long.toString(lastRv);
            ObjectNode out = History.JSON.createObjectNode().put("kind", kind).put("from", from);
            out.set("events", events);
            Op.Type type = outcome(res.end());
            h.add(new Op(process, type, "watch", null, out, h.now(), node.id, res.error()));
            if (res.end() == WatchClient.End.GONE) {
                rv = null;
            } else if (res.end() != WatchClient.End.CLOSED && res.end() != WatchClient.End.STOPPED) {
                at++;
                sleep(200);
            }
        }
    }

    /** How a watch session ended, as the history records it: closed or stopped ok, refused or failed fail, broken mid-stream info. */
    static Op.Type outcome(WatchClient.End end) {
        return switch (end) {
            case CLOSED, STOPPED -> Op.Type.ok;
            case GONE, ERROR, REFUSED -> Op.Type.fail;
            case BROKEN -> Op.Type.info;
        };
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
