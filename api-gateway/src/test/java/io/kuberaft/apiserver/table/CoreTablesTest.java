package io.kuberaft.apiserver.table;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static io.kuberaft.apiserver.table.Fixtures.ago;
import static io.kuberaft.apiserver.table.Fixtures.row;
import static io.kuberaft.apiserver.table.Fixtures.yaml;
import static org.assertj.core.api.Assertions.assertThat;

class CoreTablesTest {
    private static final TableConvertor SERVICES = BuiltinTables.forKind("", "Service");

    @Test
    void clusterIPService() {
        ObjectNode svc = yaml("""
                metadata: {name: app-service, creationTimestamp: "%s"}
                spec:
                  type: ClusterIP
                  clusterIP: 10.111.146.119
                  clusterIPs: [10.111.146.119]
                  selector: {app: node}
                  ports:
                  - {port: 8080, targetPort: 8080, protocol: TCP}
                  - {name: metrics, port: 8090, targetPort: 8090}
                """.formatted(ago(15)));
        assertThat(Fixtures.normalColumnNames(SERVICES)).containsExactly("Name", "Type", "Cluster-IP", "External-IP",
                "Port(s)", "Age");
        assertThat(row(SERVICES, svc)).containsExactly(Map.entry("Name", "app-service"), Map.entry("Type", "ClusterIP"),
                Map.entry("Cluster-IP", "10.111.146.119"), Map.entry("External-IP", "<none>"),
                Map.entry("Port(s)", "8080/TCP,8090/TCP"), Map.entry("Age", "15s"), Map.entry("Selector", "app=node"));
    }

    @Test
    void nodePortLoadBalancerAndExternalNameServices() {
        ObjectNode nodePort = yaml("""
                metadata: {name: np}
                spec: {type: NodePort, clusterIPs: [10.99.43.89], ports: [{port: 80, nodePort: 32700, protocol: TCP}]}
                """);
        assertThat(row(SERVICES, nodePort)).containsEntry("Port(s)", "80:32700/TCP").containsEntry("Selector", "<none>");
        ObjectNode pending = yaml("""
                metadata: {name: lb}
                spec:
                  type: LoadBalancer
                  clusterIPs: [10.0.171.239]
                  ports: [{port: 8080, nodePort: 31246, protocol: TCP}, {port: 8090, nodePort: 30037, protocol: TCP}]
                """);
        assertThat(row(SERVICES, pending)).containsEntry("External-IP", "<pending>")
                .containsEntry("Port(s)", "8080:31246/TCP,8090:30037/TCP");
        ObjectNode tunneled = pending.deepCopy();
        tunneled.putObject("status").putObject("loadBalancer").putArray("ingress").addObject().put("ip", "127.0.0.1");
        assertThat(row(SERVICES, tunneled)).containsEntry("External-IP", "127.0.0.1");
        ObjectNode external = yaml("""
                metadata: {name: svc-external-name}
                spec: {type: ExternalName, externalName: blog.yes24.com}
                """);
        assertThat(row(SERVICES, external)).containsEntry("Cluster-IP", "<none>")
                .containsEntry("External-IP", "blog.yes24.com").containsEntry("Port(s)", "<none>");
        ObjectNode headless = yaml("metadata: {name: h}\nspec: {clusterIP: None, ports: [{port: 80}]}");
        assertThat(row(SERVICES, headless)).containsEntry("Type", "ClusterIP").containsEntry("Cluster-IP", "None")
                .containsEntry("Port(s)", "80/TCP");
    }

    @Test
    void endpoints() {
        TableConvertor t = BuiltinTables.forKind("", "Endpoints");
        ObjectNode kubernetes = yaml("""
                metadata: {name: kubernetes}
                subsets: [{addresses: [{ip: 192.168.49.2}], ports: [{name: https, port: 8443, protocol: TCP}]}]
                """);
        assertThat(row(t, kubernetes)).containsEntry("Endpoints", "192.168.49.2:8443");
        ObjectNode many = yaml("""
                metadata: {name: app}
                subsets:
                - addresses: [{ip: 172.17.0.3}, {ip: 172.17.0.4}, {ip: 172.17.0.5}, {ip: 172.17.0.6}]
                  ports: [{port: 8080}]
                """);
        assertThat(row(t, many)).containsEntry("Endpoints", "172.17.0.3:8080,172.17.0.4:8080,172.17.0.5:8080 + 1 more...");
        assertThat(row(t, yaml("metadata: {name: none}"))).containsEntry("Endpoints", "<none>");
        ObjectNode v6 = yaml("metadata: {name: v6}\nsubsets: [{addresses: [{ip: \"fd00::1\"}], ports: [{port: 80}]}]");
        assertThat(row(t, v6)).containsEntry("Endpoints", "[fd00::1]:80");
    }

    @Test
    void configMapsSecretsServiceAccounts() {
        TableConvertor cm = BuiltinTables.forKind("", "ConfigMap");
        assertThat(row(cm, yaml("metadata: {name: configmap}\ndata: {application_version: 1.0.0}\nbinaryData: {b: AA==}")))
                .containsEntry("Data", 2L);
        TableConvertor secret = BuiltinTables.forKind("", "Secret");
        assertThat(Fixtures.columnNames(secret)).containsExactly("Name", "Type", "Data", "Age");
        assertThat(row(secret, yaml("metadata: {name: secret-data}\ndata: {username: YWRtaW4=}")))
                .containsEntry("Type", "Opaque").containsEntry("Data", 1L);
        assertThat(row(secret, yaml("""
                metadata: {name: secret-string-data}
                type: Opaque
                stringData: {app.name: node, app.version: 1.0.0}
                """))).containsEntry("Data", 2L);
        assertThat(row(secret, yaml("metadata: {name: reg}\ntype: kubernetes.io/dockerconfigjson\ndata: {.dockerconfigjson: e30=}")))
                .containsEntry("Type", "kubernetes.io/dockerconfigjson");
        TableConvertor sa = BuiltinTables.forKind("", "ServiceAccount");
        assertThat(row(sa, yaml("metadata: {name: sa-1}"))).containsEntry("Secrets", 0L);
        assertThat(row(sa, yaml("metadata: {name: old}\nsecrets: [{name: old-token-7l2br}]"))).containsEntry("Secrets", 1L);
    }

    @Test
    void namespacesAndLimitRanges() {
        TableConvertor ns = BuiltinTables.forKind("", "Namespace");
        assertThat(Fixtures.columnNames(ns)).containsExactly("Name", "Status", "Age");
        assertThat(row(ns, yaml("metadata: {name: user-namespace}\nstatus: {phase: Terminating}")))
                .containsEntry("Status", "Terminating");
        assertThat(row(ns, yaml("metadata: {name: fresh}"))).containsEntry("Status", "Active");
        TableConvertor limits = BuiltinTables.forKind("", "LimitRange");
        assertThat(Fixtures.columnNames(limits)).containsExactly("Name", "Created At");
        assertThat(limits.columns().get(1).type()).isEqualTo("date");
        assertThat(row(limits, yaml("metadata: {name: container-limit-range, creationTimestamp: \"2022-10-26T14:46:16Z\"}")))
                .containsEntry("Created At", "2022-10-26T14:46:16Z");
    }

    @Test
    void resourceQuota_requestsAndLimitsFromStatus() {
        TableConvertor t = BuiltinTables.forKind("", "ResourceQuota");
        assertThat(Fixtures.columnNames(t)).containsExactly("Name", "Request", "Limit", "Age");
        ObjectNode rq = yaml("""
                metadata: {name: rq}
                spec: {hard: {pods: "2", requests.cpu: "1", requests.memory: 1Gi, limits.cpu: "2", limits.memory: 2048Mi}}
                status:
                  hard: {pods: "2", requests.cpu: "1", requests.memory: 1Gi, limits.cpu: "2", limits.memory: 2048Mi}
                  used: {pods: "1", requests.cpu: 500m, requests.memory: 128Mi, limits.cpu: "1"}
                """);
        assertThat(row(t, rq)).containsEntry("Request", "pods: 1/2, requests.cpu: 500m/1, requests.memory: 128Mi/1Gi")
                .containsEntry("Limit", "limits.cpu: 1/2, limits.memory: 0/2Gi");
    }

    @Test
    void componentStatusesAndPodTemplates() {
        TableConvertor cs = BuiltinTables.forKind("", "ComponentStatus");
        assertThat(Fixtures.columnNames(cs)).containsExactly("Name", "Status", "Message", "Error");
        assertThat(row(cs, yaml("metadata: {name: etcd-0}\nconditions: [{type: Healthy, status: \"True\", message: ok}]")))
                .containsEntry("Status", "Healthy").containsEntry("Message", "ok").containsEntry("Error", "");
        assertThat(row(cs, yaml("metadata: {name: scheduler}"))).containsEntry("Status", "Unknown");
        TableConvertor pt = BuiltinTables.forKind("", "PodTemplate");
        assertThat(Fixtures.columnNames(pt)).containsExactly("Name", "Containers", "Images", "Pod Labels");
        assertThat(row(pt, yaml("""
                metadata: {name: t}
                template:
                  metadata: {labels: {app: node}}
                  spec: {containers: [{name: node, image: img}]}
                """))).containsEntry("Containers", "node").containsEntry("Pod Labels", "app=node");
    }
}
