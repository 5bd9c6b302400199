package io.kuberaft.apiserver.strategy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.admission.Cluster;
import io.kuberaft.apiserver.admission.ServiceAllocation;
import io.kuberaft.apiserver.registry.GenericRegistry;
import io.kuberaft.kubeapi.StatusException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static io.kuberaft.apiserver.admission.Cluster.fails;
import static org.assertj.core.api.Assertions.assertThat;

class ServiceStrategyTest {
    @TempDir
    Path dir;
    Cluster c;

    @BeforeEach
    void start() {
        c = new Cluster(dir);
    }

    @AfterEach
    void stop() {
        c.close();
    }

    private ObjectNode svc(String yaml) {
        return c.create("", "services", "default", yaml);
    }

    private static long ip(String s) {
        long v = 0;
        for (String p : s.split("\\.")) {
            v = v * 256 + Long.parseLong(p);
        }
        return v;
    }

    @Test
    void theKubernetesServiceHasTheFirstAddress() {
        ObjectNode k = c.get("", "services", "default", "kubernetes");
        assertThat(k.path("spec").path("clusterIP").asText()).isEqualTo("10.96.0.1");
        assertThat(k.path("spec").path("ports").get(0).path("port").asInt()).isEqualTo(443);
        assertThat(c.kv.range(io.etcd.jetcd.api.RangeRequest.newBuilder()
                .setKey(com.google.protobuf.ByteString.copyFromUtf8(ServiceAllocation.IP_PREFIX + "10.96.0.1")).build()).join().getCount())
                .isEqualTo(1);
    }

    @Test
    void clusterIPServiceDefaultsAndAllocation() {
        ObjectNode s = svc("metadata: {name: web}\nspec: {selector: {app: web}, ports: [{port: 80}]}");
        JsonNode spec = s.path("spec");
        assertThat(spec.path("type").asText()).isEqualTo("ClusterIP");
        assertThat(spec.path("sessionAffinity").asText()).isEqualTo("None");
        assertThat(spec.path("ports").get(0).path("protocol").asText()).isEqualTo("TCP");
        assertThat(spec.path("ports").get(0).path("targetPort").asInt()).isEqualTo(80);
        assertThat(spec.path("ipFamilies").toString()).isEqualTo("[\"IPv4\"]");
        assertThat(spec.path("ipFamilyPolicy").asText()).isEqualTo("SingleStack");
        assertThat(spec.path("internalTrafficPolicy").asText()).isEqualTo("Cluster");
        String ip = spec.path("clusterIP").asText();
        assertThat(ip(ip)).isBetween(ip("10.96.1.0"), ip("10.111.255.254"));
        assertThat(spec.path("clusterIPs").get(0).asText()).isEqualTo(ip);
        assertThat(s.path("status").path("loadBalancer").isObject()).isTrue();
        assertThat(spec.has("externalTrafficPolicy")).isFalse();
    }

    @Test
    void nodePortsAreAllocatedAndValidated() {
        ObjectNode s = svc("metadata: {name: np}\nspec: {type: NodePort, ports: [{name: http, port: 80}, {name: https, port: 443, nodePort: 30443}]}");
        JsonNode ports = s.path("spec").path("ports");
        assertThat(ports.get(0).path("nodePort").asInt()).isBetween(30000, 32767);
        assertThat(ports.get(1).path("nodePort").asInt()).isEqualTo(30443);
        assertThat(s.path("spec").path("externalTrafficPolicy").asText()).isEqualTo("Cluster");

        fails(() -> svc("metadata: {name: np2}\nspec: {type: NodePort, ports: [{port: 80, nodePort: 30443}]}"), 422,
                "Service \"np2\" is invalid: spec.ports[0].nodePort: Invalid value: 30443: provided port is already allocated");
        fails(() -> svc("metadata: {name: np3}\nspec: {type: NodePort, ports: [{port: 80, nodePort: 80}]}"), 422,
                "Service \"np3\" is invalid: spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. "
                        + "The range of valid ports is 30000-32767");
        fails(() -> svc("metadata: {name: np4}\nspec: {ports: [{port: 80, nodePort: 30001}]}"), 422,
                "Service \"np4\" is invalid: spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'");
        // released with the service
        c.delete("", "services", "default", "np");
        ObjectNode again = svc("metadata: {name: np5}\nspec: {type: NodePort, ports: [{port: 80, nodePort: 30443}]}");
        assertThat(again.path("spec").path("ports").get(0).path("nodePort").asInt()).isEqualTo(30443);
    }

    @Test
    void requestedClusterIPs() {
        ObjectNode dns = svc("metadata: {name: kube-dns}\nspec: {clusterIP: 10.96.0.10, ports: [{port: 53, protocol: UDP}]}");
        assertThat(dns.path("spec").path("clusterIPs").toString()).isEqualTo("[\"10.96.0.10\"]");
        fails(() -> svc("metadata: {name: dup}\nspec: {clusterIP: 10.96.0.10, ports: [{port: 53}]}"), 422,
                "Service \"dup\" is invalid: spec.clusterIPs: Invalid value: []string{\"10.96.0.10\"}: failed to allocate IP 10.96.0.10: "
                        + "provided IP is already allocated");
        fails(() -> svc("metadata: {name: out}\nspec: {clusterIP: 192.168.0.1, ports: [{port: 53}]}"), 422,
                "Service \"out\" is invalid: spec.clusterIPs: Invalid value: []string{\"192.168.0.1\"}: failed to allocate IP 192.168.0.1: "
                        + "the provided IP (192.168.0.1) is not in the valid range. The range of valid IPs is 10.96.0.0/12");
        ObjectNode headless = svc("metadata: {name: hl}\nspec: {clusterIP: None, selector: {app: db}, ports: [{port: 5432}]}");
        assertThat(headless.path("spec").path("clusterIPs").toString()).isEqualTo("[\"None\"]");
        ObjectNode ext = svc("metadata: {name: ext}\nspec: {type: ExternalName, externalName: example.com}");
        assertThat(ext.path("spec").has("clusterIP")).isFalse();
        c.delete("", "services", "default", "kube-dns");
        assertThat(svc("metadata: {name: dns2}\nspec: {clusterIP: 10.96.0.10, ports: [{port: 53}]}").path("spec").path("clusterIP").asText())
                .isEqualTo("10.96.0.10");
    }

    @Test
    void updatesKeepTheAllocatedValuesAndRefuseToChangeThem() {
        ObjectNode s = svc("metadata: {name: web}\nspec: {type: NodePort, ports: [{name: http, port: 80}]}");
        String ip = s.path("spec").path("clusterIP").asText();
        int np = s.path("spec").path("ports").get(0).path("nodePort").asInt();
        // A replace that omits the allocated values (kubectl replace of the original manifest) keeps them.
        ObjectNode replace = Cluster.yaml("metadata: {name: web, resourceVersion: '" + s.path("metadata").path("resourceVersion").asText()
                + "'}\nspec: {type: NodePort, ports: [{name: http, port: 80}], selector: {app: v2}}");
        ObjectNode updated = c.update("", "services", "default", replace);
        assertThat(updated.path("spec").path("clusterIP").asText()).isEqualTo(ip);
        assertThat(updated.path("spec").path("ports").get(0).path("nodePort").asInt()).isEqualTo(np);
        ObjectNode changed = updated.deepCopy();
        ((ObjectNode) changed.path("spec")).put("clusterIP", "10.96.0.77").putArray("clusterIPs").add("10.96.0.77");
        fails(() -> c.update("", "services", "default", changed), 422,
                "Service \"web\" is invalid: spec.clusterIPs[0]: Invalid value: []string{\"10.96.0.77\"}: may not change once set");
        // Switching to ClusterIP releases the node port.
        ObjectNode toClusterIP = updated.deepCopy();
        ((ObjectNode) toClusterIP.path("spec")).put("type", "ClusterIP").remove("externalTrafficPolicy");
        ((ObjectNode) toClusterIP.path("spec").path("ports").get(0)).remove("nodePort");
        c.update("", "services", "default", toClusterIP);
        assertThat(svc("metadata: {name: reuse}\nspec: {type: NodePort, ports: [{port: 80, nodePort: " + np + "}]}")).isNotNull();
    }

    @Test
    void validationMessages() {
        fails(() -> svc("metadata: {name: noports}\nspec: {selector: {app: x}}"), 422, "Service \"noports\" is invalid: spec.ports: Required value");
        fails(() -> svc("metadata: {name: twoports}\nspec: {ports: [{port: 80}, {port: 81}]}"), 422,
                "Service \"twoports\" is invalid: [spec.ports[0].name: Required value, spec.ports[1].name: Required value]");
        fails(() -> svc("metadata: {name: range}\nspec: {ports: [{port: 0, targetPort: 70000}]}"), 422,
                "Service \"range\" is invalid: [spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive, "
                        + "spec.ports[0].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive]");
        fails(() -> svc("metadata: {name: Bad}\nspec: {ports: [{port: 80}]}"), 422,
                "Service \"Bad\" is invalid: metadata.name: Invalid value: \"Bad\": a lowercase RFC 1123 label must consist of lower case "
                        + "alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or "
                        + "'123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')");
        fails(() -> svc("metadata: {name: t}\nspec: {type: Magic, ports: [{port: 80}]}"), 422,
                "Service \"t\" is invalid: spec.type: Unsupported value: \"Magic\": supported values: \"ClusterIP\", \"ExternalName\", "
                        + "\"LoadBalancer\", \"NodePort\"");
    }

    /** Two replicas creating services at once never hand out the same cluster IP or node port. */
    @Test
    void concurrentReplicasNeverShareAnIPOrPort() throws Exception {
        List<GenericRegistry> replicas = List.of(c.api, c.replica(), c.replica());
        ExecutorService pool = Executors.newFixedThreadPool(12);
        AtomicInteger n = new AtomicInteger();
        List<Future<ObjectNode>> futures = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            GenericRegistry r = replicas.get(i % replicas.size());
            futures.add(pool.submit(() -> r.create(c.def("", "services"), "default",
                    Cluster.yaml("metadata: {name: s" + n.incrementAndGet() + "}\nspec: {type: NodePort, ports: [{port: 80}]}"),
                    GenericRegistry.WriteOptions.DEFAULT)));
        }
        Set<String> ips = Collections.synchronizedSet(new HashSet<>());
        Set<Integer> ports = Collections.synchronizedSet(new HashSet<>());
        for (Future<ObjectNode> f : futures) {
            ObjectNode s = f.get();
            assertThat(ips.add(s.path("spec").path("clusterIP").asText())).isTrue();
            assertThat(ports.add(s.path("spec").path("ports").get(0).path("nodePort").asInt())).isTrue();
        }
        // Everyone asking for the same address: exactly one gets it.
        List<Future<?>> same = new ArrayList<>();
        AtomicInteger won = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        for (int i = 0; i < 12; i++) {
            GenericRegistry r = replicas.get(i % replicas.size());
            int k = i;
            same.add(pool.submit(() -> {
                try {
                    r.create(c.def("", "services"), "default", Cluster.yaml("metadata: {name: same" + k
                            + "}\nspec: {clusterIP: 10.96.0.50, ports: [{port: 80}]}"), GenericRegistry.WriteOptions.DEFAULT);
                    won.incrementAndGet();
                } catch (StatusException e) {
                    assertThat(e.getMessage()).endsWith("provided IP is already allocated");
                    refused.incrementAndGet();
                }
            }));
        }
        for (Future<?> f : same) {
            f.get();
        }
        pool.shutdown();
        assertThat(won.get()).isEqualTo(1);
        assertThat(refused.get()).isEqualTo(11);
    }
}
