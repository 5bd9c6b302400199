package io.kuberaft.nodeagent;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.kuberaft.nodeagent.runtime.ContainerRuntime;
import io.kuberaft.nodeagent.runtime.ContainerUsage;
import io.kuberaft.nodeagent.runtime.RuntimeContainer;

import java.time.Clock;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * One node's resource usage in the kubelet's Summary API shape ({@code /stats/summary}, stats/v1alpha1): per
 * running container its CPU (usageNanoCores over the last window and the usageCoreNanoSeconds counter) and memory
 * working set, summed per pod and for the node. metrics-server reads this to serve {@code metrics.k8s.io}; so does
 * kuberaft's API server. The node's own usage is its pods' (a simulated node has nothing else running).
 *
 * <p>One addition to the kubelet's shape: each {@code cpu} block also says over how long {@code usageNanoCores} was
 * measured ({@code usageWindowNanoSeconds}), which the API server reports as the metrics' {@code window}; a pod's and
 * the node's is the longest of their containers' (the nominal {@link CpuRates#WINDOW} on a node without containers).
 */
final class StatsSummary {
    private final String node;
    private final ContainerRuntime runtime;
    private final Clock clock;
    private final Instant startTime;
    private final CpuRates rates = new CpuRates();

    StatsSummary(String node, ContainerRuntime runtime, Clock clock) {
        this.node = node;
        this.runtime = runtime;
        this.clock = clock;
        this.startTime = clock.instant();
    }

    private record Totals(long nanoCores, long cpuNanos, long memory, long windowNanos) {
        static final Totals NONE = new Totals(0, 0, 0, 0);

        Totals plus(Totals o) {
            return new Totals(nanoCores + o.nanoCores, cpuNanos + o.cpuNanos, memory + o.memory, Math.max(windowNanos, o.windowNanos));
        }
    }

    ObjectNode summary(List<PodWorker> workers) {
        Instant now = clock.instant();
        ObjectNode out = PodWorker.JSON.createObjectNode();
        ObjectNode nodeStats = out.putObject("node");
        ArrayNode pods = out.putArray("pods");
        Totals nodeTotal = Totals.NONE;
        Set<String> seen = new HashSet<>();
        for (PodWorker w : workers) {
            Pod pod = w.pod();
            ArrayNode containers = PodWorker.JSON.createArrayNode();
            Totals podTotal = Totals.NONE;
            for (Container c : pod.getSpec().getContainers()) {
                Optional<RuntimeContainer> rc = w.container(c.getName());
                if (rc.isEmpty()) {
                    continue;
                }
                Optional<ContainerUsage> u = runtime.usage(rc.get(), pod);
                if (u.isEmpty()) {
                    continue;
                }
                seen.add(rc.get().containerId());
                CpuRates.Rate rate = rates.record(rc.get().containerId(), rc.get().startedAt(), u.get());
                Totals t = new Totals(rate.nanoCores(), u.get().cpuCoreNanoSeconds(), u.get().memoryWorkingSetBytes(), rate.window().toNanos());
                podTotal = podTotal.plus(t);
                ObjectNode cs = containers.addObject().put("name", c.getName()).put("startTime", rc.get().startedAt().toString());
                usage(cs, u.get().at(), t);
            }
            if (containers.isEmpty()) {
                continue;
            }
            ObjectNode ps = pods.addObject();
            ps.putObject("podRef").put("name", pod.getMetadata().getName()).put("namespace", pod.getMetadata().getNamespace())
                    .put("uid", pod.getMetadata().getUid());
            if (pod.getStatus() != null && pod.getStatus().getStartTime() != null) {
                ps.put("startTime", pod.getStatus().getStartTime());
            }
            ps.set("containers", containers);
            usage(ps, now, podTotal);
            nodeTotal = nodeTotal.plus(podTotal);
        }
        rates.retain(seen);
        nodeStats.put("nodeName", node).put("startTime", startTime.toString());
        usage(nodeStats, now, nodeTotal.windowNanos > 0 ? nodeTotal : nodeTotal.plus(new Totals(0, 0, 0, CpuRates.WINDOW.toNanos())));
        return out;
    }

    /** The {@code cpu} and {@code memory} blocks of a container, pod or node. */
    private static void usage(ObjectNode o, Instant at, Totals t) {
        o.putObject("cpu").put("time", at.toString()).put("usageNanoCores", t.nanoCores).put("usageCoreNanoSeconds", t.cpuNanos)
                .put("usageWindowNanoSeconds", t.windowNanos);
        o.putObject("memory").put("time", at.toString()).put("workingSetBytes", t.memory).put("usageBytes", t.memory)
                .put("rssBytes", t.memory);
    }
}
