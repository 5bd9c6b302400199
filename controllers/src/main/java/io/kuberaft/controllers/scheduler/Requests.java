package io.kuberaft.controllers.scheduler;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A resource list in scheduler units (upstream's framework.Resource): milli-CPU, bytes of memory and
 * ephemeral storage, allowed pod count, and extended (scalar) resources by name.
 */
public final class Requests {
    public static final long DEFAULT_MILLI_CPU = 100;
    public static final long DEFAULT_MEMORY = 200L * 1024 * 1024;
    long milliCpu;
    long memory;
    long ephemeral;
    long pods;
    final Map<String, Long> scalar = new HashMap<>();

    public long milliCpu() {
        return milliCpu;
    }

    public long memory() {
        return memory;
    }

    void add(Requests o) {
        milliCpu += o.milliCpu;
        memory += o.memory;
        ephemeral += o.ephemeral;
        pods += o.pods;
        o.scalar.forEach((k, v) -> scalar.merge(k, v, Long::sum));
    }

    void subtract(Requests o) {
        milliCpu -= o.milliCpu;
        memory -= o.memory;
        ephemeral -= o.ephemeral;
        pods -= o.pods;
        o.scalar.forEach((k, v) -> scalar.merge(k, -v, Long::sum));
    }

    void max(Requests o) {
        milliCpu = Math.max(milliCpu, o.milliCpu);
        memory = Math.max(memory, o.memory);
        ephemeral = Math.max(ephemeral, o.ephemeral);
        o.scalar.forEach((k, v) -> scalar.merge(k, v, Math::max));
    }

    boolean isZero() {
        return milliCpu == 0 && memory == 0 && ephemeral == 0 && scalar.values().stream().allMatch(v -> v == 0);
    }

    /** A node's allocatable (capacity when allocatable is absent). */
    public static Requests ofList(Map<String, Quantity> list) {
        Requests r = new Requests();
        if (list == null) {
            return r;
        }
        list.forEach((name, q) -> r.put(name, q));
        return r;
    }

    private void put(String name, Quantity q) {
        switch (name) {
            case "cpu" -> milliCpu += milli(q);
            case "memory" -> memory += units(q);
            case "ephemeral-storage" -> ephemeral += units(q);
            case "pods" -> pods += units(q);
            default -> {
                if (isScalar(name)) {
                    scalar.merge(name, name.startsWith("hugepages-") ? units(q) : units(q), Long::sum);
                }
            }
        }
    }

    /** Extended resources (domain-qualified names outside kubernetes.io/), hugepages, attachable volumes. */
    static boolean isScalar(String name) {
        return name.startsWith("hugepages-") || name.startsWith("attachable-volumes-")
                || (name.contains("/") && !name.startsWith("kubernetes.io/") && !name.startsWith("requests."));
    }

    /** Upstream's computePodResourceRequest: max(sum of containers, each init container) + overhead; one pod. */
    public static Requests ofPod(Pod pod) {
        Requests sum = new Requests();
        for (Container c : list(pod.getSpec().getContainers())) {
            sum.add(ofContainer(c));
        }
        for (Container c : list(pod.getSpec().getInitContainers())) {
            sum.max(ofContainer(c));
        }
        if (pod.getSpec().getOverhead() != null) {
            sum.add(ofList(pod.getSpec().getOverhead()));
        }
        sum.pods = 1;
        return sum;
    }

    /** The requests scoring uses: containers without a cpu/memory request count 100m / 200Mi (upstream's non-zero defaults). */
    public static long[] nonZero(Pod pod) {
        long cpu = 0;
        long mem = 0;
        for (Container c : list(pod.getSpec().getContainers())) {
            Requests r = ofContainer(c);
            Map<String, Quantity> req = c.getResources() == null ? null : c.getResources().getRequests();
            cpu += req != null && req.containsKey("cpu") ? r.milliCpu : DEFAULT_MILLI_CPU;
            mem += req != null && req.containsKey("memory") ? r.memory : DEFAULT_MEMORY;
        }
        for (Container c : list(pod.getSpec().getInitContainers())) {
            Requests r = ofContainer(c);
            Map<String, Quantity> req = c.getResources() == null ? null : c.getResources().getRequests();
            cpu = Math.max(cpu, req != null && req.containsKey("cpu") ? r.milliCpu : DEFAULT_MILLI_CPU);
            mem = Math.max(mem, req != null && req.containsKey("memory") ? r.memory : DEFAULT_MEMORY);
        }
        if (pod.getSpec().getOverhead() != null) {
            Requests o = ofList(pod.getSpec().getOverhead());
            cpu += o.milliCpu;
            mem += o.memory;
        }
        return new long[] {cpu, mem};
    }

    private static Requests ofContainer(Container c) {
        if (c.getResources() == null) {
            return new Requests();
        }
        Map<String, Quantity> req = c.getResources().getRequests();
        // requests default to limits (the API server does that on create; old objects may lack it)
        Map<String, Quantity> merged = new HashMap<>();
        if (c.getResources().getLimits() != null) {
            merged.putAll(c.getResources().getLimits());
        }
        if (req != null) {
            merged.putAll(req);
        }
        return ofList(merged);
    }

    private static <T> List<T> list(List<T> l) {
        return l == null ? List.of() : l;
    }

    static long milli(Quantity q) {
        return Quantity.getAmountInBytes(q).multiply(BigDecimal.valueOf(1000)).setScale(0, RoundingMode.CEILING).longValueExact();
    }

    static long units(Quantity q) {
        return Quantity.getAmountInBytes(q).setScale(0, RoundingMode.CEILING).longValueExact();
    }
}
