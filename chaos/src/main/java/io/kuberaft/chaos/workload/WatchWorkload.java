package io.kuberaft.chaos.workload;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.chaos.checker.CheckResult;
import io.kuberaft.chaos.checker.WatchChecker;
import io.kuberaft.chaos.client.OpException;
import io.kuberaft.chaos.client.WatchClient;
import io.kuberaft.chaos.cluster.ChaosCluster;
import io.kuberaft.chaos.history.History;
import io.kuberaft.chaos.history.Op;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code watch}: writers PUT unique values into {@link #KEYS} ConfigMaps of namespace {@link #NAMESPACE}
 * (through replica p mod N, recording the resourceVersion each write produced) while one watcher per
 * replica lists the namespace and watches it with bookmarks, as client-go's reflector does: resume from
 * the last resourceVersion received (event or bookmark) after every disconnect, on the next replica
 * when the connection broke or was refused; relist on 410 Gone. Sessions are short (5–15 s, seeded) and
 * a watcher sometimes (1 in 5) stays away for 4–12 s, so that resumes and, with the short compaction retention
 * this workload asks of the servers, relists happen in every run. After the nemesis healed: one final
 * list, and each watcher watches on until it reached the final list's revision (at most the finish
 * timeout). Checked by {@link WatchChecker}.
 */
public final class WatchWorkload implements ChaosWorkload {
    private static final Logger LOG = LoggerFactory.getLogger(WatchWorkload.class);
    public static final String NAMESPACE = "chaos-watch";
    static final int KEYS = 8;
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final int base;
    private final AtomicLong values = new AtomicLong();
    private final List<Thread> watchers = new ArrayList<>();
    private volatile long finalRv = Long.MAX_VALUE;
    private volatile long hardStop = Long.MAX_VALUE;
    private volatile long runDeadline;

    public WatchWorkload(int index) {
        this.base = index * 1_000_000;
    }

    @Override
    public String name() {
        return "watch";
    }

    @Override
    public List<String> serverArgs() {
        // history short enough that a watcher away for a few seconds gets 410 Gone and relists
        return List.of("--compaction-retention", "30", "--compaction-interval-s", "3");
    }

    @Override
    public void run(ChaosCluster cluster, History h, int concurrency, double rate, long deadline, long seed) throws InterruptedException {
        runDeadline = deadline;
        List<ChaosCluster.Node> nodes = cluster.nodes();
        createNamespace(nodes, Duration.ofSeconds(60));
        for (int i = 0; i < nodes.size(); i++) {
            int proc = base + 500_000 + i;
            int first = i;
            Random rnd = new Random(seed * 17 + i);
            Thread t = new Thread(() -> watch(cluster, h, proc, first, rnd), "watcher-" + i);
            t.setDaemon(true);
            watchers.add(t);
            t.start();
        }
        List<Thread> writers = new ArrayList<>();
        for (int p = 0; p < concurrency; p++) {
            int proc = base + p;
            ChaosCluster.Node node = nodes.get(p % nodes.size());
            Random rnd = new Random(seed * 31 + p);
            Thread t = new Thread(() -> write(h, node, proc, concurrency, rate, deadline, rnd), "writer-" + p);
            t.setDaemon(true);
            writers.add(t);
            t.start();
        }
        for (Thread t : writers) {
            t.join();
        }
    }

    private void createNamespace(List<ChaosCluster.Node> nodes, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (int i = 0; ; i++) {
            try {
                new WatchClient(nodes.get(i % nodes.size()).apiUrl(), NAMESPACE, TIMEOUT).createNamespace(NAMESPACE);
                return;
            } catch (OpException e) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not create namespace " + NAMESPACE + ": " + e.getMessage());
                }
                Thread.sleep(500);
            }
        }
    }

    private void write(History h, ChaosCluster.Node node, int proc, int concurrency, double rate, long deadline, Random rnd) {
        WatchClient c = new WatchClient(node.apiUrl(), NAMESPACE, TIMEOUT);
        long pause = (long) (1000 / rate);
        int process = proc;
        try {
            while (System.nanoTime() < deadline) {
                String key = "w-" + rnd.nextInt(KEYS);
                long v = values.incrementAndGet() + base;
                Op.Type t = Workload.invoke(h, null, node, process, "write", key, History.v(v), () -> {
                    long rv = c.write(key, v);
                    ObjectNode o = History.JSON.createObjectNode();
                    o.put("value", v).put("rv", rv);
                    return o;
                });
                if (t == Op.Type.info) {
                    process += concurrency;
                }
                Thread.sleep(pause / 2 + rnd.nextInt((int) Math.max(1, pause)));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One watcher: list, then watch sessions, as described in the class comment. */
    private void watch(ChaosCluster cluster, History h, int process, int first, Random rnd) {
        List<ChaosCluster.Node> nodes = cluster.nodes();
        int at = first;
        String rv = null;
        while (System.nanoTime() < hardStop) {
            ChaosCluster.Node node = nodes.get(at % nodes.size());
            WatchClient c = new WatchClient(node.apiUrl(), NAMESPACE, TIMEOUT);
            if (rv == null) {
                String[] listed = new String[1];
                Op.Type t = Workload.invoke(h, null, node, process, "list", null, null, () -> {
                    JsonNode l = c.list();
                    listed[0] = l.path("metadata").path("resourceVersion").asText();
                    ObjectNode o = History.JSON.createObjectNode();
                    o.put("rv", Long.parseLong(listed[0]));
                    ArrayNode items = o.putArray("items");
                    for (JsonNode it : l.path("items")) {
                        items.addArray().add(it.path("metadata").path("name").asText())
                                .add(Long.parseLong(it.path("metadata").path("resourceVersion").asText())).add(numeric(it));
                    }
                    return o;
                });
                if (t != Op.Type.ok) {
                    at++;
                    sleep(300);
                    continue;
                }
                rv = listed[0];
            }
            if (System.nanoTime() < runDeadline && rnd.nextInt(5) == 0) {
                sleep(4_000 + rnd.nextInt(8_000)); // away: the resume may find the revision compacted
            }
            int timeoutSeconds = 5 + rnd.nextInt(11);
            long from = Long.parseLong(rv);
            ObjectNode inv = History.JSON.createObjectNode().put("from", from);
            h.add(new Op(process, Op.Type.invoke, "watch", null, inv, h.now(), node.id, null));
            ArrayNode events = History.JSON.createArrayNode();
            String[] last = {rv};
            WatchClient.Result res = c.watch(rv, timeoutSeconds, ev -> {
                JsonNode o = ev.path("object");
                String type = ev.path("type").asText();
                last[0] = o.path("metadata").path("resourceVersion").asText();
                ArrayNode e = events.addArray().add(Long.parseLong(last[0])).add(type);
                if (type.equals("BOOKMARK")) {
                    e.addNull().addNull();
                } else {
                    e.add(o.path("metadata").path("name").asText()).add(numeric(o));
                }
                e.add(h.now() / 1_000_000);
            }, () -> Long.parseLong(last[0]) >= finalRv || System.nanoTime() > hardStop);
            rv = last[0];
            ObjectNode out = History.JSON.createObjectNode().put("from", from);
            out.set("events", events);
            Op.Type type = ObjectWatcher.outcome(res.end());
            String error = res.end() == WatchClient.End.GONE ? "410 Gone: " + res.error()
                    : res.error() == null ? null : res.end().name().toLowerCase() + ": " + res.error();
            h.add(new Op(process, type, "watch", null, out, h.now(), node.id, error));
            if (res.end() == WatchClient.End.GONE) {
                rv = null; // relist
            } else if (res.end() != WatchClient.End.CLOSED && res.end() != WatchClient.End.STOPPED) {
                at++; // the next replica, as a client behind a load balancer would get
                sleep(200);
            }
            if (Long.parseLong(rv == null ? "0" : rv) >= finalRv) {
                return;
            }
        }
        LOG.warn("watcher p{} stopped at revision {} before the final revision {}", process, rv, finalRv);
    }

    private static JsonNode numeric(JsonNode obj) {
        String v = obj.path("data").path("value").asText(null);
        try {
            return v == null ? History.N.nullNode() : History.N.numberNode(Long.parseLong(v));
        } catch (NumberFormatException e) {
            return History.N.nullNode();
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The final list (through each replica in turn until one answers), then the watchers catch up with it. */
    @Override
    public void finish(ChaosCluster cluster, History h, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        hardStop = deadline;
        int process = base + 900_000;
        for (int i = 0; System.nanoTime() < deadline; i++) {
            ChaosCluster.Node n = cluster.nodes().get(i % cluster.nodes().size());
            WatchClient c = new WatchClient(n.apiUrl(), NAMESPACE, TIMEOUT);
            long[] rv = new long[1];
            Op.Type t = Workload.invoke(h, null, n, process++, "final-list", null, null, () -> {
                JsonNode l = c.list();
                rv[0] = Long.parseLong(l.path("metadata").path("resourceVersion").asText());
                ObjectNode o = History.JSON.createObjectNode().put("rv", rv[0]);
                ArrayNode items = o.putArray("items");
                for (JsonNode it : l.path("items")) {
                    items.addArray().add(it.path("metadata").path("name").asText())
                            .add(Long.parseLong(it.path("metadata").path("resourceVersion").asText())).add(numeric(it));
                }
                return o;
            });
            if (t == Op.Type.ok) {
                finalRv = rv[0];
                break;
            }
            Thread.sleep(1000);
        }
        if (finalRv == Long.MAX_VALUE) {
            hardStop = 0; // no final list: stop the watchers
        }
        for (Thread t : watchers) {
            t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000 + 30_000));
        }
    }

    @Override
    public boolean owns(Op o) {
        return o.process() >= base && o.process() < base + 1_000_000;
    }

    @Override
    public CheckResult check(List<Op> history) {
        return new WatchChecker("w-").check(history.stream().filter(o -> o.process() >= 0).toList());
    }
}
