package io.kuberaft.apiserver.table;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static io.kuberaft.apiserver.table.Fixtures.ago;
import static io.kuberaft.apiserver.table.Fixtures.row;
import static io.kuberaft.apiserver.table.Fixtures.yaml;
import static org.assertj.core.api.Assertions.assertThat;

/** Events, networking, RBAC, policy, autoscaling, coordination, scheduling and CRDs. */
class OtherTablesTest {

    @Test
    void coreEvent() {
        TableConvertor t = BuiltinTables.forKind("", "Event");
        assertThat(Fixtures.normalColumnNames(t)).containsExactly("Last Seen", "Type", "Reason", "Object", "Message");
        assertThat(Fixtures.columnNames(t)).containsExactly("Last Seen", "Type", "Reason", "Object", "Subobject",
                "Source", "Message", "First Seen", "Count", "Name");
        assertThat(t.columns().get(9).format()).isEqualTo("name");
        ObjectNode ev = yaml("""
                metadata: {name: liveness-pod.17a1b2c3d4e5f6a7, namespace: default}
                involvedObject: {kind: Pod, name: liveness-pod, namespace: default, fieldPath: "spec.containers{node}"}
                reason: Unhealthy
                message: "Liveness probe failed: HTTP probe failed with statuscode: 404\\n"
                source: {component: kubelet, host: minikube}
                firstTimestamp: "%s"
                lastTimestamp: "%s"
                count: 3
                type: Warning
                """.formatted(ago(255), ago(15)));
        assertThat(row(t, ev)).containsExactly(Map.entry("Last Seen", "15s"), Map.entry("Type", "Warning"),
                Map.entry("Reason", "Unhealthy"), Map.entry("Object", "pod/liveness-pod"),
                Map.entry("Subobject", "spec.containers{node}"), Map.entry("Source", "kubelet, minikube"),
                Map.entry("Message", "Liveness probe failed: HTTP probe failed with statuscode: 404"),
                Map.entry("First Seen", "4m15s"), Map.entry("Count", 3L), Map.entry("Name", "liveness-pod.17a1b2c3d4e5f6a7"));
    }

    @Test
    void newStyleEvents_useEventTimeSeriesAndReportingController() {
        TableConvertor t = BuiltinTables.forKind("events.k8s.io", "Event");
        ObjectNode singleton = yaml("""
                apiVersion: events.k8s.io/v1
                metadata: {name: e1}
                eventTime: "%s"
                reportingController: deployment-controller
                reportingInstance: ""
                regarding: {kind: Deployment, name: deployment}
                reason: ScalingReplicaSet
                note: Scaled up replica set deployment-5b7db75bf8 to 3
                type: Normal
                """.formatted(ago(90)));
        assertThat(row(t, singleton)).containsEntry("Last Seen", "90s").containsEntry("First Seen", "90s")
                .containsEntry("Object", "deployment/deployment").containsEntry("Count", 1L)
                .containsEntry("Source", "deployment-controller")
                .containsEntry("Message", "Scaled up replica set deployment-5b7db75bf8 to 3");
        ObjectNode series = yaml("""
                metadata: {name: e2}
                eventTime: "%s"
                involvedObject: {kind: Node}
                reportingComponent: kubelet
                reportingInstance: minikube
                series: {count: 7, lastObservedTime: "%s"}
                type: Normal
                """.formatted(ago(3600), ago(5)));
        assertThat(row(BuiltinTables.forKind("", "Event"), series)).containsEntry("Last Seen", "5s")
                .containsEntry("First Seen", "60m").containsEntry("Count", 7L).containsEntry("Object", "node")
                .containsEntry("Source", "kubelet, minikube");
    }

    @Test
    void ingress_classHostsAddressPorts() {
        TableConvertor t = BuiltinTables.forKind("networking.k8s.io", "Ingress");
        assertThat(Fixtures.columnNames(t)).containsExactly("Name", "Class", "Hosts", "Address", "Ports", "Age");
        // 000:4732
        ObjectNode ing = yaml("""
                metadata: {name: ingress}
                spec:
                  ingressClassName: nginx
                  rules:
                  - host: v1.kim0lil.co.kr
                    http: {paths: [{pathType: Prefix, path: /, backend: {service: {name: service-v1, port: {number: 8888}}}}]}
                  - host: v2.kim0lil.co.kr
                    http: {paths: [{pathType: Prefix, path: /, backend: {service: {name: service-v2, port: {number: 9999}}}}]}
                """);
        assertThat(row(t, ing)).containsEntry("Class", "nginx").containsEntry("Hosts", "v1.kim0lil.co.kr,v2.kim0lil.co.kr")
                .containsEntry("Address", "").containsEntry("Ports", "80");
        ing.putObject("status").putObject("loadBalancer").putArray("ingress").addObject().put("ip", "192.168.49.2");
        ((ObjectNode) ing.path("spec")).putArray("tls").addObject().put("secretName", "tls-secret");
        ((ObjectNode) ing.path("spec")).remove("ingressClassName");
        assertThat(row(t, ing)).containsEntry("Class", "<none>").containsEntry("Address", "192.168.49.2")
                .containsEntry("Ports", "80, 443");
        ObjectNode many = yaml("""
                metadata: {name: many}
                spec: {rules: [{host: a}, {host: b}, {host: c}, {host: d}, {host: e}]}
                """);
        assertThat(row(t, many)).containsEntry("Hosts", "a,b,c + 2 more...");
        assertThat(row(t, yaml("metadata: {name: default}\nspec: {defaultBackend: {service: {name: s}}}")))
                .containsEntry("Hosts", "*");
    }

    @Test
    void ingressClassNetworkPolicyEndpointSlice() {
        TableConvertor ic = BuiltinTables.forKind("networking.k8s.io", "IngressClass");
        assertThat(row(ic, yaml("""
                metadata: {name: nginx}
                spec:
                  controller: k8s.io/ingress-nginx
                  parameters: {apiGroup: k8s.example.com, kind: IngressParameters, name: external-lb}
                """))).containsEntry("Controller", "k8s.io/ingress-nginx")
                .containsEntry("Parameters", "IngressParameters.k8s.example.com/external-lb");
        assertThat(row(ic, yaml("metadata: {name: x}\nspec: {controller: c}"))).containsEntry("Parameters", "<none>");
        TableConvertor np = BuiltinTables.forKind("networking.k8s.io", "NetworkPolicy");
        assertThat(Fixtures.columnNames(np)).containsExactly("Name", "Pod-Selector", "Age");
        assertThat(row(np, yaml("metadata: {name: deny}\nspec: {podSelector: {}}"))).containsEntry("Pod-Selector", "<none>");
        assertThat(row(np, yaml("metadata: {name: a}\nspec: {podSelector: {matchLabels: {role: db}}}")))
                .containsEntry("Pod-Selector", "role=db");
        TableConvertor es = BuiltinTables.forKind("discovery.k8s.io", "EndpointSlice");
        assertThat(Fixtures.columnNames(es)).containsExactly("Name", "AddressType", "Ports", "Endpoints", "Age");
        assertThat(row(es, yaml("""
                metadata: {name: app-abc12}
                addressType: IPv4
                ports: [{name: http, port: 8080, protocol: TCP}, {name: named}]
                endpoints: [{addresses: [10.0.0.1]}, {addresses: [10.0.0.2]}, {addresses: [10.0.0.3]}, {addresses: [10.0.0.4]}]
                """))).containsEntry("Ports", "8080,named").containsEntry("Endpoints", "10.0.0.1,10.0.0.2,10.0.0.3 + 1 more...");
        assertThat(row(es, yaml("metadata: {name: empty}\naddressType: IPv4"))).containsEntry("Ports", "<unset>")
                .containsEntry("Endpoints", "<unset>");
    }

    @Test
    void rbac() {
        TableConvertor role = BuiltinTables.forKind("rbac.authorization.k8s.io", "Role");
        assertThat(row(role, yaml("metadata: {name: view-pod, creationTimestamp: \"2022-10-26T14:46:16Z\"}")))
                .containsExactly(Map.entry("Name", "view-pod"), Map.entry("Created At", "2022-10-26T14:46:16Z"));
        assertThat(Fixtures.columnNames(BuiltinTables.forKind("rbac.authorization.k8s.io", "ClusterRole")))
                .containsExactly("Name", "Created At");
        TableConvertor rb = BuiltinTables.forKind("rbac.authorization.k8s.io", "RoleBinding");
        assertThat(Fixtures.normalColumnNames(rb)).containsExactly("Name", "Role", "Age");
        ObjectNode binding = yaml("""
                metadata: {name: view-pod-rolebinding, namespace: ns-2}
                roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: view-pod}
                subjects:
                - {kind: ServiceAccount, name: sa-1, namespace: ns-1}
                - {kind: User, name: alice, apiGroup: rbac.authorization.k8s.io}
                - {kind: User, name: bob, apiGroup: rbac.authorization.k8s.io}
                - {kind: Group, name: "system:serviceaccounts", apiGroup: rbac.authorization.k8s.io}
                """);
        assertThat(row(rb, binding)).containsEntry("Role", "Role/view-pod").containsEntry("Users", "alice, bob")
                .containsEntry("Groups", "system:serviceaccounts").containsEntry("ServiceAccounts", "ns-1/sa-1");
        TableConvertor crb = BuiltinTables.forKind("rbac.authorization.k8s.io", "ClusterRoleBinding");
        assertThat(crb.columns().get(3).description()).isEqualTo("Users in the clusterRoleBinding");
        assertThat(row(crb, yaml("metadata: {name: b}\nroleRef: {kind: ClusterRole, name: nodes-reader}")))
                .containsEntry("Role", "ClusterRole/nodes-reader").containsEntry("Users", "");
    }

    @Test
    void podDisruptionBudget() {
        TableConvertor t = BuiltinTables.forKind("policy", "PodDisruptionBudget");
        assertThat(Fixtures.columnNames(t)).containsExactly("Name", "Min Available", "Max Unavailable",
                "Allowed Disruptions", "Age");
        assertThat(row(t, yaml("metadata: {name: pdb}\nspec: {maxUnavailable: 1}\nstatus: {disruptionsAllowed: 1}")))
                .containsEntry("Min Available", "N/A").containsEntry("Max Unavailable", "1")
                .containsEntry("Allowed Disruptions", 1L);
        assertThat(row(t, yaml("metadata: {name: pdb}\nspec: {minAvailable: \"50%\"}")))
                .containsEntry("Min Available", "50%").containsEntry("Max Unavailable", "N/A")
                .containsEntry("Allowed Disruptions", 0L);
    }

    @Test
    void horizontalPodAutoscaler() {
        TableConvertor t = BuiltinTables.forKind("autoscaling", "HorizontalPodAutoscaler");
        assertThat(Fixtures.columnNames(t)).containsExactly("Name", "Reference", "Targets", "MinPods", "MaxPods",
                "Replicas", "Age");
        ObjectNode v2 = yaml("""
                apiVersion: autoscaling/v2
                metadata: {name: web}
                spec:
                  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
                  minReplicas: 2
                  maxReplicas: 10
                  metrics:
                  - type: Resource
                    resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
                  - type: Resource
                    resource: {name: memory, target: {type: AverageValue, averageValue: 1024Mi}}
                  - type: Pods
                    pods: {metric: {name: qps}, target: {type: AverageValue, averageValue: "1k"}}
                status:
                  currentReplicas: 3
                  currentMetrics:
                  - type: Resource
                    resource: {name: cpu, current: {averageUtilization: 32, averageValue: 60m}}
                """);
        assertThat(row(t, v2)).containsEntry("Reference", "Deployment/web")
                .containsEntry("Targets", "cpu: 32%/50%, memory: <unknown>/1Gi + 1 more...")
                .containsEntry("MinPods", "2").containsEntry("MaxPods", 10L).containsEntry("Replicas", 3L);
        ObjectNode defaulted = yaml("apiVersion: autoscaling/v2\nmetadata: {name: d}\nspec: {maxReplicas: 3}");
        assertThat(row(t, defaulted)).containsEntry("Targets", "cpu: <unknown>/80%").containsEntry("MinPods", "1");
    }

    @Test
    void leasePriorityClassAndCrd() {
        TableConvertor lease = BuiltinTables.forKind("coordination.k8s.io", "Lease");
        assertThat(row(lease, yaml("metadata: {name: kube-scheduler}\nspec: {holderIdentity: m1_abc}")))
                .containsEntry("Holder", "m1_abc");
        assertThat(row(lease, yaml("metadata: {name: free}"))).containsEntry("Holder", "");
        TableConvertor pc = BuiltinTables.forKind("scheduling.k8s.io", "PriorityClass");
        assertThat(Fixtures.normalColumnNames(pc)).containsExactly("Name", "Value", "Global-Default", "Age",
                "PreemptionPolicy");
        assertThat(row(pc, yaml("metadata: {name: system-node-critical}\nvalue: 2000001000")))
                .containsEntry("Value", 2000001000L).containsEntry("Global-Default", false)
                .containsEntry("PreemptionPolicy", "PreemptLowerPriority");
        TableConvertor crd = BuiltinTables.forKind("apiextensions.k8s.io", "CustomResourceDefinition");
        assertThat(row(crd, yaml("metadata: {name: crontabs.stable.example.com, creationTimestamp: \"2024-01-02T03:04:05.678Z\"}")))
                .containsEntry("Created At", "2024-01-02T03:04:05Z");
    }
}
