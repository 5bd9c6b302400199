package io.kuberaft.chaos.workload;

import com.fasterxml.jackson.databind.JsonNode;
import io.kuberaft.chaos.checker.CheckResult;
import io.kuberaft.chaos.checker.LinearizabilityChecker;
import io.kuberaft.chaos.checker.SetChecker;
import io.kuberaft.chaos.client.EtcdClient;
import io.kuberaft.chaos.client.KubeClient;
import io.kuberaft.chaos.client.OpException;
import io.kuberaft.chaos.client.StoreClient;
import io.kuberaft.chaos.cluster.ChaosCluster;
import io.kuberaft.chaos.history.History;
import io.kuberaft.chaos.history.Op;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One workload: closed-loop client processes, each bound to one replica (process p talks to replica
 * p mod N), recording every operation in the history; then the workload's checker.
 *
 * <ul>
 * <li>{@code register-kube} / {@code register-etcd}: read / write / cas on a register per key; the
 * processes share one key for {@link #OPS_PER_KEY} operations, then move to the next (independent keys
 * keep the linearizability search small). Values are 0..4 so that CASes often succeed.</li>
 * <li>{@code set-kube} / {@code set-etcd}: unique adds, then after the nemesis healed one final read.</li>
 * </ul>
 */
public final class Workload implements ChaosWorkload {
    public static final List<String> NAMES = List.of("register-kube", "register-etcd", "set-kube", "set-etcd");
    static final int OPS_PER_KEY = 150;
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final String name;
    private final boolean register;
    private final boolean kube;
    private final AtomicLong counter = new AtomicLong();

    /** Process ids of this workload are base .. base + 999,999 (several workloads share one history). */
    private final int base;

    public Workload(String name) {
        this(name, 0);
    }

    public Workload(String name, int index) {
        this.base = index * 1_000_000;
        if (!NAMES.contains(name)) {
            throw new IllegalArgumentException("unknown workload " + name + "; known: " + NAMES);
        }
        this.name = name;
        this.register = name.startsWith("register");
        this.kube = name.endsWith("kube");
    }

    @Override
    public String name() {
        return name;
    }

    StoreClient client(ChaosCluster.Node n) {
        return kube ? new KubeClient(n.apiUrl(), TIMEOUT) : new EtcdClient(n.etcdEndpoint(), TIMEOUT);
    }

    /** Runs {@code concurrency} processes until {@code deadlineNanos} (System.nanoTime), each pacing to {@code ratePerProcess} ops/s. */
    @Override
    public void run(ChaosCluster cluster, History h, int concurrency, double ratePerProcess, long deadlineNanos, long seed) throws InterruptedException {
        List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < concurrency; p++) {
            int proc = base + p;
            ChaosCluster.Node node = cluster.nodes().get(p % cluster.nodes().size());
            Random rnd = new Random(seed * 31 + p);
            Thread t = new Thread(() -> loop(cluster, node, h, proc, concurrency, ratePerProcess, deadlineNanos, rnd), "client-" + p);
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
    }

    private void loop(ChaosCluster cluster, ChaosCluster.Node node, History h, int proc, int concurrency, double rate, long deadline, Random rnd) {
        int process = proc;
        long pause = (long) (1000 / rate);
        try (StoreClient c = client(node)) {
            while (System.nanoTime() < deadline) {
                Op.Type last;
                if (register) {
                    String key = "r" + counter.getAndIncrement() / OPS_PER_KEY;
                    int dice = rnd.nextInt(4);
                    if (dice <= 1) {
                        last = invoke(h, c, node, process, "read", key, null, () -> History.v(c.read(key)));
                    } else if (dice == 2) {
                        long v = rnd.nextInt(5);
                        last = invoke(h, c, node, process, "write", key, History.v(v), () -> {
                            c.write(key, v);
                            return History.v(v);
                        });
                    } else if (kube) {
                        // CAS by resourceVersion: the read that saw `from`, then the conditional PUT.
                        Long[] seen = new Long[1];
                        last = invoke(h, c, node, process, "read", key, null, () -> {
                            seen[0] = c.read(key);
                            return History.v(seen[0]);
                        });
                        if (last == Op.Type.ok) {
                            long to = rnd.nextInt(5);
                            last = cas(h, c, node, process, key, seen[0], to);
                        }
                    } else {
                        Long from = rnd.nextInt(6) == 5 ? null : (long) rnd.nextInt(5);
                        last = cas(h, c, node, process, key, from, rnd.nextInt(5));
                    }
                } else {
                    long e = counter.getAndIncrement();
                    last = invoke(h, c, node, process, "add", null, History.v(e), () -> {
                        c.add(e);
                        return History.v(e);
                    });
                }
                if (last == Op.Type.info) {
                    process += concurrency; // Jepsen: a process whose op is indeterminate is replaced
                }
                Thread.sleep(pause / 2 + rnd.nextInt((int) Math.max(1, pause)));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private Op.Type cas(History h, StoreClient c, ChaosCluster.Node node, int process, String key, Long from, long to) {
        JsonNode v = History.v(java.util.Arrays.asList(from, to));
        return invoke(h, c, node, process, "cas", key, v, () -> {
            if (!c.cas(key, from, to)) {
                throw OpException.definite("precondition failed");
            }
            return v;
        });
    }

    interface Call {
        JsonNode run() throws OpException;
    }

    static Op.Type invoke(History h, StoreClient c, ChaosCluster.Node node, int process, String f, String key, JsonNode value, Call call) {
        Op inv = h.add(new Op(process, Op.Type.invoke, f, key, value, h.now(), node.id, null));
        try {
            JsonNode result = call.run();
            h.add(new Op(process, Op.Type.ok, f, key, result, h.now(), node.id, null));
            return Op.Type.ok;
        } catch (OpException e) {
            Op.Type t = e.definite ? Op.Type.fail : Op.Type.info;
            h.add(new Op(process, t, f, key, inv.value(), h.now(), node.id, e.getMessage()));
            return t;
        } catch (RuntimeException e) {
            h.add(new Op(process, Op.Type.info, f, key, inv.value(), h.now(), node.id, e.toString()));
            return Op.Type.info;
        }
    }

    /** After the test: the set's final read, through each replica in turn until one answers (at most {@code timeout}). */
    @Override
    public void finish(ChaosCluster cluster, History h, Duration timeout) throws InterruptedException {
        if (register) {
            return;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        int i = 0;
        int process = base + 900_000;
        while (System.nanoTime() < deadline) {
            ChaosCluster.Node n = cluster.nodes().get(i++ % cluster.nodes().size());
            try (StoreClient c = client(n)) {
                if (invoke(h, c, n, process++, "read", null, null, () -> History.v(c.readSet())) == Op.Type.ok) {
                    return;
                }
            }
            Thread.sleep(1000);
        }
    }

    @Override
    public boolean owns(Op o) {
        return o.process() >= base && o.process() < base + 1_000_000;
    }

    @Override
    public CheckResult check(List<Op> history) {
        List<Op> clientOps = history.stream().filter(o -> o.process() >= 0).toList();
        return register ? new LinearizabilityChecker().check(clientOps) : new SetChecker().check(clientOps);
    }
}
