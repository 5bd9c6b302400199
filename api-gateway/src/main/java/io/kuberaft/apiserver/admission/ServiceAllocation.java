package io.kuberaft.apiserver.admission;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.kuberaft.apiserver.registry.Objects;
import io.kuberaft.apiserver.registry.ResourceStore;
import io.kuberaft.apiserver.strategy.Json;
import io.kuberaft.apiserver.strategy.ServiceStrategy;
import io.kuberaft.kubeapi.StatusException;
import io.kuberaft.kubeapi.StatusException.Cause;
import io.kuberaft.raftstore.ReadConsistency;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Service cluster IPs (from the service CIDR, default 10.96.0.0/12) and node ports (30000–32767), allocated
 * through the store: one key per allocated value ({@code /registry/ranges/serviceips/<ip>},
 * {@code /registry/ranges/servicenodeports/<port>}) created with a compare version == 0 in the service's own
 * txn, so two replicas can never hand out the same one (the loser re-runs admission and picks another), and
 * deleted in the txn that removes the service. Dynamic values come from the upper part of each range (as
 * upstream, leaving the lower part to static requests such as the {@code kubernetes} service's first IP).
 * Not an upstream admission plugin: upstream allocates in the service REST storage at the same point.
 */
public final class ServiceAllocation implements AdmissionPlugin {
    public static final String IP_PREFIX = "/registry/ranges/serviceips/";
    public static final String PORT_PREFIX = "/registry/ranges/servicenodeports/";
    public static final String DEFAULT_CIDR = "10.96.0.0/12";
    public static final String DEFAULT_CIDR_FIRST_IP = "10.96.0.1";
    private static final int RANDOM_PROBES = 32;
    private final Lookup lookup;
    private final long base;
    private final long size;
    private final String cidr;
    private final int portBase;
    private final int portCount;

    public ServiceAllocation(Lookup lookup, String cidr, int portMin, int portMax) {
        this.lookup = lookup;
        this.cidr = cidr;
        String[] parts = cidr.split("/");
        int bits = Integer.parseInt(parts[1]);
        if (bits < 8 || bits > 30) {
            throw new IllegalArgumentException("service CIDR must be an IPv4 range between /8 and /30: " + cidr);
        }
        this.size = 1L << (32 - bits);
        this.base = ipToLong(parts[0]) & ~(size - 1);
        this.portBase = portMin;
        this.portCount = portMax - portMin + 1;
    }

    public static ServiceAllocation defaults(Lookup lookup) {
        return new ServiceAllocation(lookup, DEFAULT_CIDR, 30000, 32767);
    }

    @Override
    public String name() {
        return "ServiceIPAllocation";
    }

    @Override
    public Set<Operation> operations() {
        return Set.of(Operation.CREATE, Operation.UPDATE);
    }

    /** Runs last among the mutating plugins: the values are part of the object the validating plugins see. */
    @Override
    public boolean mutating() {
        return true;
    }

    @Override
    public void admit(Attributes a) {
        if (!a.is("", "Service")) {
            return;
        }
        ObjectNode spec = Json.obj(a.object(), "spec");
        JsonNode oldSpec = a.old() == null ? null : a.old().path("spec");
        String owner = owner(a.object());
        Set<String> reserved = new HashSet<>();
        // Cluster IP.
        String oldIP = oldSpec != null && ServiceStrategy.needsClusterIP(oldSpec) ? oldSpec.path("clusterIP").asText("") : "";
        if (ServiceStrategy.needsClusterIP(spec)) {
            String ip = spec.path("clusterIP").asText("");
            if (ip.isEmpty()) {
                ip = pickIP(a);
                spec.put("clusterIP", ip);
                spec.putArray("clusterIPs").add(ip);
            } else if (!ip.equals(oldIP)) {
                reserveIP(a, ip, spec);
            }
            if (!ip.equals(oldIP)) {
                a.ops().requireAbsent(IP_PREFIX + ip).put(IP_PREFIX + ip, owner);
            }
            if (!oldIP.isEmpty() && !oldIP.equals(ip)) {
                a.ops().delete(IP_PREFIX + oldIP);
            }
        } else if (!oldIP.isEmpty()) {
            a.ops().delete(IP_PREFIX + oldIP);
        }
        // Node ports (and the health check port of LoadBalancer services with externalTrafficPolicy Local).
        Set<Integer> before = oldSpec == null ? Set.of() : nodePorts(oldSpec);
        Set<Integer> after = new LinkedHashSet<>();
        if (ServiceStrategy.needsNodePorts(spec)) {
            List<ObjectNode> ports = new ArrayList<>();
            Json.objects(spec, "ports").forEach(ports::add);
            for (int i = 0; i < ports.size(); i++) {
                int np = ports.get(i).path("nodePort").asInt(0);
                if (np != 0) {
                    if (!before.contains(np) && after.add(np)) {
                        reservePort(a, np, "spec.ports[" + i + "].nodePort");
                    }
                    after.add(np);
                }
            }
            for (ObjectNode p : ports) {
                if (p.path("nodePort").asInt(0) == 0) {
                    int np = pickPort(a, union(before, after, reserved));
                    p.put("nodePort", np);
                    after.add(np);
                    reserved.add(String.valueOf(np));
                }
            }
        }
        boolean healthCheck = "LoadBalancer".equals(spec.path("type").asText()) && "Local".equals(spec.path("externalTrafficPolicy").asText());
        if (healthCheck) {
            int hc = spec.path("healthCheckNodePort").asInt(0);
            if (hc == 0) {
                hc = pickPort(a, union(before, after, reserved));
                spec.put("healthCheckNodePort", hc);
            } else if (!before.contains(hc) && !after.contains(hc)) {
                reservePort(a, hc, "spec.healthCheckNodePort");
            }
            after.add(hc);
        } else {
            spec.remove("healthCheckNodePort");
        }
        for (int np : after) {
            if (!before.contains(np)) {
                a.ops().requireAbsent(PORT_PREFIX + np).put(PORT_PREFIX + np, owner);
            }
        }
        for (int np : before) {
            if (!after.contains(np)) {
                a.ops().delete(PORT_PREFIX + np);
            }
        }
    }

    /** The service leaves the store: its IP and ports go back to their ranges in the same txn. */
    @Override
    public void onRemove(Attributes a) {
        if (!a.is("", "Service")) {
            return;
        }
        JsonNode spec = a.old().path("spec");
        if (ServiceStrategy.needsClusterIP(spec) && !spec.path("clusterIP").asText("").isEmpty()) {
            a.ops().delete(IP_PREFIX + spec.path("clusterIP").asText());
        }
        for (int np : nodePorts(spec)) {
            a.ops().delete(PORT_PREFIX + np);
        }
    }

    private static Set<Integer> union(Set<Integer> a, Set<Integer> b, Set<String> c) {
        Set<Integer> out = new HashSet<>(a);
        out.addAll(b);
        c.forEach(s -> out.add(Integer.parseInt(s)));
        return out;
    }

    /** The node ports a stored service holds (including its health check port). */
    static Set<Integer> nodePorts(JsonNode spec) {
        Set<Integer> out = new LinkedHashSet<>();
        if (ServiceStrategy.needsNodePorts(spec) || "LoadBalancer".equals(spec.path("type").asText())) {
            spec.path("ports").forEach(p -> {
                if (p.path("nodePort").asInt(0) != 0) {
                    out.add(p.path("nodePort").asInt());
                }
            });
        }
        if (spec.path("healthCheckNodePort").asInt(0) != 0) {
            out.add(spec.path("healthCheckNodePort").asInt());
        }
        return out;
    }

    private static String owner(ObjectNode svc) {
        ObjectNode o = Objects.JSON.createObjectNode();
        o.put("namespace", Objects.namespace(svc)).put("name", Objects.name(svc)).put("uid", Objects.meta(svc).path("uid").asText(""));
        return o.toString();
    }

    // ------------------------------------------------------------------ cluster IPs

    private void reserveIP(Attributes a, String ip, ObjectNode spec) {
        JsonNode ips = spec.path("clusterIPs").size() > 0 ? spec.get("clusterIPs") : Objects.JSON.createArrayNode().add(ip);
        String rendered = io.kuberaft.apiserver.strategy.Fields.goStringSlice(ips);
        long v = ServiceStrategy.isIP(ip) && ip.indexOf(':') < 0 ? ipToLong(ip) : -1;
        if (v < base + 1 || v > base + size - 2) {
            throw invalid(a, new Cause("FieldValueInvalid", "Invalid value: " + rendered + ": failed to allocate IP " + ip
                    + ": the provided IP (" + ip + ") is not in the valid range. The range of valid IPs is " + cidr, "spec.clusterIPs"));
        }
        if (exists(IP_PREFIX + ip, a.reads())) {
            throw invalid(a, new Cause("FieldValueInvalid", "Invalid value: " + rendered + ": failed to allocate IP " + ip
                    + ": provided IP is already allocated", "spec.clusterIPs"));
        }
    }

    private String pickIP(Attributes a) {
        long usable = size - 2;
        long reservedLow = Math.min(Math.max(16, size / 16), 256);
        long lowStart = 1;
        long dynStart = Math.min(reservedLow, usable) + 1;
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        for (int i = 0; i < RANDOM_PROBES && dynStart <= usable; i++) {
            String ip = longToIp(base + dynStart + rnd.nextLong(usable - dynStart + 1));
            if (!exists(IP_PREFIX + ip, a.reads())) {
                return ip;
            }
        }
        Set<String> taken = keys(IP_PREFIX, a.reads());
        for (long[] range : new long[][] {{dynStart, usable}, {lowStart, Math.min(dynStart - 1, usable)}}) {
            long span = range[1] - range[0] + 1;
            if (span <= 0) {
                continue;
            }
            long start = rnd.nextLong(span);
            for (long i = 0; i < span; i++) {
                String ip = longToIp(base + range[0] + (start + i) % span);
                if (!taken.contains(ip)) {
                    return ip;
                }
            }
        }
        throw StatusException.internal("failed to allocate a serviceIP: range is full");
    }

    static long ipToLong(String ip) {
        String[] p = ip.split("\\.");
        long v = 0;
        for (String s : p) {
            v = (v << 8) | Long.parseLong(s);
        }
        return v;
    }

    static String longToIp(long v) {
        return ((v >> 24) & 255) + "." + ((v >> 16) & 255) + "." + ((v >> 8) & 255) + "." + (v & 255);
    }

    // ------------------------------------------------------------------ node ports

    private void reservePort(Attributes a, int port, String field) {
        if (port < portBase || port >= portBase + portCount) {
            throw invalid(a, new Cause("FieldValueInvalid", "Invalid value: " + port
                    + ": provided port is not in the valid range. The range of valid ports is " + portBase + "-" + (portBase + portCount - 1), field));
        }
        if (exists(PORT_PREFIX + port, a.reads())) {
            throw invalid(a, new Cause("FieldValueInvalid", "Invalid value: " + port + ": provided port is already allocated", field));
        }
    }

    private int pickPort(Attributes a, Set<Integer> inThisService) {
        Set<String> taken = keys(PORT_PREFIX, a.reads());
        int reservedLow = Math.min(Math.max(16, portCount / 32), 128);
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        for (int[] range : new int[][] {{reservedLow, portCount - 1}, {0, reservedLow - 1}}) {
            int span = range[1] - range[0] + 1;
            if (span <= 0) {
                continue;
            }
            int start = rnd.nextInt(span);
            for (int i = 0; i < span; i++) {
                int port = portBase + range[0] + (start + i) % span;
                if (!taken.contains(String.valueOf(port)) && !inThisService.contains(port)) {
                    return port;
                }
            }
        }
        throw StatusException.internal("failed to allocate a nodePort: range is full");
    }

    // ------------------------------------------------------------------ store reads

    private boolean exists(String key, ReadConsistency c) {
        return range(RangeRequest.newBuilder().setKey(ByteString.copyFromUtf8(key)).setCountOnly(true).build(), c).getCount() > 0;
    }

    /** The last path segment of every key under the prefix. */
    private Set<String> keys(String prefix, ReadConsistency c) {
        byte[] end = prefix.getBytes(StandardCharsets.UTF_8);
        end[end.length - 1]++;
        RangeResponse r = range(RangeRequest.newBuilder().setKey(ByteString.copyFromUtf8(prefix)).setRangeEnd(ByteString.copyFrom(end))
                .setKeysOnly(true).build(), c);
        Set<String> out = new HashSet<>();
        r.getKvsList().forEach(kv -> out.add(kv.getKey().toStringUtf8().substring(prefix.length())));
        return out;
    }

    private RangeResponse range(RangeRequest req, ReadConsistency c) {
        try {
            return lookup.store().kv().range(req, c).get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw ResourceStore.translate(e.getCause());
        } catch (TimeoutException e) {
            throw StatusException.unavailable("the server was unable to return a response in the time allotted", 1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw StatusException.internal("interrupted");
        }
    }

    private static StatusException invalid(Attributes a, Cause cause) {
        return StatusException.invalid(a.def().group(), a.def().kind(), a.name(), List.of(cause));
    }
}
