package io.kuberaft.apiserver.strategy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.admission.Cluster;
import io.kuberaft.apiserver.http.ResourceHandler;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static io.kuberaft.apiserver.admission.Cluster.fails;
import static org.assertj.core.api.Assertions.assertThat;

class OtherStrategiesTest {
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

    private List<String> select(String group, String plural, String ns, String selector) {
        ResourceDefinition def = c.def(group, plural);
        var filter = ResourceHandler.filter(def, new ResourceHandler.Query(Map.of("fieldSelector", selector)));
        return c.list(group, plural, ns).stream().filter(filter).map(o -> o.path("metadata").path("name").asText()).toList();
    }

    @Test
    void namespacesAreFinalizedAndTerminateOnDelete() {
        ObjectNode ns = c.namespace("team-a");
        assertThat(ns.path("spec").path("finalizers").toString()).isEqualTo("[\"kubernetes\"]");
        assertThat(ns.path("status").path("phase").asText()).isEqualTo("Active");
        assertThat(ns.path("metadata").path("labels").path("kubernetes.io/metadata.name").asText()).isEqualTo("team-a");
        ObjectNode marked = c.delete("", "namespaces", null, "team-a");
        assertThat(marked.path("metadata").has("deletionTimestamp")).isTrue();
        ObjectNode stored = c.get("", "namespaces", null, "team-a");
        assertThat(stored.path("status").path("phase").asText()).isEqualTo("Terminating");
        assertThat(select("", "namespaces", null, "status.phase=Terminating")).containsExactly("team-a");
        assertThat(select("", "namespaces", null, "status.phase=Active")).contains("default", "kube-system", "kube-public", "kube-node-lease");
        fails(() -> c.create("", "namespaces", null, "metadata: {name: Not_A_Label}"), 422,
                "Namespace \"Not_A_Label\" is invalid: metadata.name: Invalid value: \"Not_A_Label\": a lowercase RFC 1123 label must consist of "
                        + "lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  "
                        + "or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')");
    }

    /** ObjectMeta's lists and maps are omitempty upstream: emptied ones are neither stored nor shown. */
    @Test
    void emptiedFinalizersAndEmptyLabelsAreLeftOut() {
        ObjectNode held = c.create("", "configmaps", "default", "metadata: {name: fin, labels: {}, finalizers: [example.com/x]}");
        assertThat(held.path("metadata").has("labels")).isFalse();
        ((ObjectNode) held.get("metadata")).putArray("finalizers");
        c.update("", "configmaps", "default", held);
        ObjectNode read = c.get("", "configmaps", "default", "fin");
        assertThat(read.path("metadata").has("finalizers")).isFalse();
        assertThat(read.path("metadata").path("name").asText()).isEqualTo("fin");
    }

    /** Go's base64 decoder skips line breaks: what `base64` prints (wrapped at 76) in a YAML block is accepted. */
    @Test
    void secretDataWrappedOverLinesIsAcceptedAndStoredOnOneLine() {
        String value = "x".repeat(100);
        String b64 = Base64.getEncoder().encodeToString(value.getBytes());
        String wrapped = b64.substring(0, 76) + "\n" + b64.substring(76) + "\n";
        ObjectNode s = c.create("", "secrets", "default", "metadata: {name: wrapped}\ndata:\n  key: |\n    "
                + wrapped.replace("\n", "\n    ").stripTrailing() + "\n");
        assertThat(s.path("data").path("key").asText()).isEqualTo(b64);
        fails(() -> c.create("", "secrets", "default", "metadata: {name: bad}\ndata: {key: 'YQ*='}"), 400,
                "Secret in version \"v1\" cannot be handled as a Secret: illegal base64 data at input byte 2");
    }

    @Test
    void aNodeWithoutSpecGetsAnEmptyOne() {
        ObjectNode node = c.create("", "nodes", null, "metadata: {name: bare}");
        assertThat(node.path("spec").isObject()).isTrue();
        assertThat(c.get("", "nodes", null, "bare").path("spec").isObject()).isTrue();
    }

    @Test
    void secretsAndConfigMaps() {
        ObjectNode s = c.create("", "secrets", "default", "metadata: {name: s}\nstringData: {password: hunter2}");
        assertThat(s.path("type").asText()).isEqualTo("Opaque");
        assertThat(s.has("stringData")).isFalse();
        assertThat(new String(Base64.getDecoder().decode(s.path("data").path("password").asText()))).isEqualTo("hunter2");
        c.create("", "secrets", "default", "metadata: {name: t}\ntype: kubernetes.io/tls\ndata: {tls.crt: YQ==, tls.key: Yg==}");
        assertThat(select("", "secrets", "default", "type=kubernetes.io/tls")).containsExactly("t");
        fails(() -> c.create("", "secrets", "default", "metadata: {name: u}\ntype: kubernetes.io/tls\ndata: {tls.crt: YQ==}"), 422,
                "Secret \"u\" is invalid: data[tls.key]: Required value");
        fails(() -> c.create("", "secrets", "default", "metadata: {name: v}\ndata: {'bad key': YQ==}"), 422,
                "Secret \"v\" is invalid: data[bad key]: Invalid value: \"bad key\": a valid config key must consist of alphanumeric "
                        + "characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')");
        ObjectNode typed = c.get("", "secrets", "default", "s");
        typed.put("type", "kubernetes.io/basic-auth");
        fails(() -> c.update("", "secrets", "default", typed), 422,
                "Secret \"s\" is invalid: type: Invalid value: \"kubernetes.io/basic-auth\": field is immutable");

        ObjectNode cm = c.create("", "configmaps", "default", "metadata: {name: cm}\nimmutable: true\ndata: {a: '1'}");
        ((ObjectNode) cm.path("data")).put("a", "2");
        fails(() -> c.update("", "configmaps", "default", cm), 422,
                "ConfigMap \"cm\" is invalid: data: Forbidden: field is immutable when `immutable` is set");
    }

    @Test
    void eventFieldSelectors() {
        c.create("", "events", "default", """
                metadata: {name: e1}
                involvedObject: {kind: Pod, namespace: default, name: web, uid: u1, apiVersion: v1, resourceVersion: '7', fieldPath: 'spec.containers{a}'}
                reason: Scheduled
                type: Normal
                source: {component: default-scheduler}
                """);
        c.create("", "events", "default", """
                metadata: {name: e2}
                involvedObject: {kind: Node, namespace: default, name: n1}
                reason: NodeNotReady
                type: Warning
                reportingComponent: node-controller
                """);
        assertThat(select("", "events", "default", "involvedObject.kind=Pod,involvedObject.name=web")).containsExactly("e1");
        assertThat(select("", "events", "default", "involvedObject.uid=u1,involvedObject.apiVersion=v1,involvedObject.resourceVersion=7"))
                .containsExactly("e1");
        assertThat(select("", "events", "default", "involvedObject.fieldPath=spec.containers{a}")).containsExactly("e1");
        assertThat(select("", "events", "default", "type=Warning")).containsExactly("e2");
        assertThat(select("", "events", "default", "reason=Scheduled,source=default-scheduler")).containsExactly("e1");
        assertThat(select("", "events", "default", "reportingComponent=node-controller")).containsExactly("e2");
        assertThat(select("", "events", "default", "involvedObject.namespace=default")).containsExactly("e1", "e2");
        fails(() -> c.create("", "events", "default", "metadata: {name: e3}\ninvolvedObject: {kind: Pod, namespace: other, name: x}"), 422,
                "Event \"e3\" is invalid: involvedObject.namespace: Invalid value: \"other\": does not match event.namespace");
    }

    @Test
    void nodesKeepTheirStatusAndSelectOnUnschedulable() {
        ObjectNode n = c.create("", "nodes", null, "metadata: {name: n1}\nspec: {unschedulable: true}\nstatus: {capacity: {cpu: '4', memory: 8Gi}}");
        assertThat(n.path("status").path("allocatable").path("memory").asText()).isEqualTo("8Gi");
        c.create("", "nodes", null, "metadata: {name: n2}");
        assertThat(select("", "nodes", null, "spec.unschedulable=true")).containsExactly("n1");
        assertThat(select("", "nodes", null, "spec.unschedulable=false")).containsExactly("n2");
        fails(() -> c.create("", "nodes", null, "metadata: {name: n3}\nspec: {taints: [{key: k, effect: Sometimes}]}"), 422,
                "Node \"n3\" is invalid: spec.taints[0].effect: Unsupported value: \"Sometimes\": supported values: \"NoExecute\", "
                        + "\"NoSchedule\", \"PreferNoSchedule\"");
    }

    @Test
    void volumesAndClaims() {
        ObjectNode pv = c.create("", "persistentvolumes", null,
                "metadata: {name: pv1}\nspec: {capacity: {storage: 1Gi}, accessModes: [ReadWriteOnce], hostPath: {path: /data}}");
        assertThat(pv.path("spec").path("persistentVolumeReclaimPolicy").asText()).isEqualTo("Retain");
        assertThat(pv.path("spec").path("volumeMode").asText()).isEqualTo("Filesystem");
        assertThat(pv.path("status").path("phase").asText()).isEqualTo("Pending");
        ObjectNode pvc = c.create("", "persistentvolumeclaims", "default",
                "metadata: {name: data}\nspec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}");
        assertThat(pvc.path("spec").path("volumeMode").asText()).isEqualTo("Filesystem");
        assertThat(pvc.path("status").path("phase").asText()).isEqualTo("Pending");
        fails(() -> c.create("", "persistentvolumeclaims", "default", "metadata: {name: bad}\nspec: {resources: {requests: {storage: 1Gi}}}"),
                422, "PersistentVolumeClaim \"bad\" is invalid: spec.accessModes: Required value: at least 1 access mode is required");
        ObjectNode bound = pvc.deepCopy();
        ((ObjectNode) bound.path("spec")).put("volumeName", "pv1");
        ObjectNode withVolume = c.update("", "persistentvolumeclaims", "default", bound);
        ((ObjectNode) withVolume.path("spec")).putArray("accessModes").add("ReadWriteMany");
        assertThat(Cluster.error(() -> c.update("", "persistentvolumeclaims", "default", withVolume)).getMessage())
                .startsWith("PersistentVolumeClaim \"data\" is invalid: spec: Forbidden: spec is immutable after creation except "
                        + "resources.requests and volumeAttributesClassName for bound claims");
    }

    @Test
    void limitRangeItemDefaults() {
        ObjectNode lr = c.create("", "limitranges", "default", """
                metadata: {name: lr}
                spec:
                  limits:
                  - type: Container
                    min: {memory: 10Mi}
                    max: {memory: 1Gi}
                    defaultRequest: {memory: 100Mi}
                """);
        var item = lr.path("spec").path("limits").get(0);
        assertThat(item.path("default").path("memory").asText()).isEqualTo("1Gi");
        assertThat(item.path("defaultRequest").path("memory").asText()).isEqualTo("100Mi");
        fails(() -> c.create("", "limitranges", "default", "metadata: {name: bad}\nspec: {limits: [{type: Container, min: {cpu: '2'}, max: {cpu: '1'}}]}"),
                422, "LimitRange \"bad\" is invalid: [spec.limits[0].min[cpu]: Invalid value: \"2\": min value 2 is greater than max value 1, "
                        + "spec.limits[0].defaultRequest[cpu]: Invalid value: \"1\": min value 2 is greater than default request value 1, "
                        + "spec.limits[0].default[cpu]: Invalid value: \"2\": min value 2 is greater than default value 1]");
    }

    @Test
    void rbacRoleRefIsImmutable() {
        ObjectNode rb = c.create("rbac.authorization.k8s.io", "rolebindings", "default", """
                metadata: {name: rb}
                roleRef: {kind: Role, name: view-pod}
                subjects: [{kind: ServiceAccount, name: sa-1, namespace: default}, {kind: User, name: alice}]
                """);
        assertThat(rb.path("roleRef").path("apiGroup").asText()).isEqualTo("rbac.authorization.k8s.io");
        assertThat(rb.path("subjects").get(1).path("apiGroup").asText()).isEqualTo("rbac.authorization.k8s.io");
        ((ObjectNode) rb.path("roleRef")).put("name", "edit");
        fails(() -> c.update("rbac.authorization.k8s.io", "rolebindings", "default", rb), 422,
                "RoleBinding.rbac.authorization.k8s.io \"rb\" is invalid: roleRef: Invalid value: rbac.RoleRef{APIGroup:\"rbac.authorization.k8s.io\", Kind:\"Role\", "
                        + "Name:\"edit\"}: cannot change roleRef");
        fails(() -> c.create("rbac.authorization.k8s.io", "roles", "default", "metadata: {name: r}\nrules: [{apiGroups: [''], resources: [pods]}]"),
                422, "Role.rbac.authorization.k8s.io \"r\" is invalid: rules[0].verbs: Required value: verbs must contain at least one value");
    }

    @Test
    void ingressPaths() {
        fails(() -> c.create("networking.k8s.io", "ingresses", "default", """
                metadata: {name: ing}
                spec:
                  rules:
                  - http:
                      paths:
                      - path: /
                        backend: {service: {name: web, port: {number: 80}}}
                """), 422, "Ingress.networking.k8s.io \"ing\" is invalid: spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified");
        ObjectNode ing = c.create("networking.k8s.io", "ingresses", "default", """
                metadata: {name: ing}
                spec:
                  rules:
                  - http:
                      paths:
                      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
                """);
        assertThat(ing.path("status").path("loadBalancer").isObject()).isTrue();
    }

    @Test
    void horizontalPodAutoscalerMetricsAreValidatedAsUpstream() {
        String hpa = """
                metadata: {name: h}
                spec:
                  scaleTargetRef: {kind: Deployment, name: web}
                  maxReplicas: 3
                  metrics:
                  - type: Resource
                    resource: {name: memory, target: {type: Utilization, averageUtilization: 50, averageValue: 1Gi}}
                  - type: Pods
                    resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
                  - type: External
                    external: {metric: {name: q}, target: {type: Bogus, value: "-1"}}
                  - type: Object
                    object: {describedObject: {kind: Service}, metric: {name: m}, target: {type: Value}}
                """;
        List<String> causes = Cluster.error(() -> c.create("autoscaling", "horizontalpodautoscalers", "default", hpa)).causes()
                .stream().map(cause -> cause.field() + ": " + cause.message()).toList();
        assertThat(causes).containsExactly(
                "spec.metrics[0].resource.target.averageValue: Forbidden: may not set both a target raw value and a target utilization",
                "spec.metrics[1].pods: Required value: must populate information for the given metric source",
                "spec.metrics[2].external.target.type: Invalid value: \"Bogus\": must be either Utilization, Value, or AverageValue",
                "spec.metrics[2].external.target.value: Invalid value: -1: must be positive",
                "spec.metrics[3].object.describedObject.name: Required value",
                "spec.metrics[3].object.target.value: Required value: must set either a target value or averageValue");
        assertThat(c.list("autoscaling", "horizontalpodautoscalers", "default")).isEmpty();
    }

    @Test
    void ingressClassesNeedADomainPrefixedImmutableControllerAndAWellFormedParametersReference() {
        fails(() -> c.create("networking.k8s.io", "ingressclasses", null, "metadata: {name: none}"), 422,
                "IngressClass.networking.k8s.io \"none\" is invalid: spec.controller: Required value");
        fails(() -> c.create("networking.k8s.io", "ingressclasses", null, "metadata: {name: bare}\nspec: {controller: nginx}"), 422,
                "IngressClass.networking.k8s.io \"bare\" is invalid: spec.controller: Invalid value: \"nginx\": must be a domain-prefixed path "
                        + "(such as \"acme.io/foo\")");
        fails(() -> c.create("networking.k8s.io", "ingressclasses", null, "metadata: {name: host}\nspec: {controller: Acme.io/a b}"), 422,
                "IngressClass.networking.k8s.io \"host\" is invalid: [spec.controller: Invalid value: \"Acme.io\": a lowercase RFC 1123 subdomain "
                        + "must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character "
                        + "(e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*'), "
                        + "spec.controller: Invalid value: \"a b\": Invalid path (regex used for validation is '[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+')]");
        fails(() -> c.create("networking.k8s.io", "ingressclasses", null, "metadata: {name: long}\nspec: {controller: acme.io/" + "x".repeat(250) + "}"),
                422, "IngressClass.networking.k8s.io \"long\" is invalid: spec.controller: Too long: may not be more than 250 bytes");
        fails(() -> c.create("networking.k8s.io", "ingressclasses", null, """
                metadata: {name: params}
                spec:
                  controller: acme.io/ingress
                  parameters: {apiGroup: k8s.example.com, kind: IngressParameters, scope: Namespace}
                """), 422, "IngressClass.networking.k8s.io \"params\" is invalid: [spec.parameters.name: Required value: name is required, "
                + "spec.parameters.namespace: Required value: `parameters.scope` is set to 'Namespace']");
        fails(() -> c.create("networking.k8s.io", "ingressclasses", null, """
                metadata: {name: params}
                spec:
                  controller: acme.io/ingress
                  parameters: {kind: IngressParameters, name: p, scope: Global}
                """), 422, "IngressClass.networking.k8s.io \"params\" is invalid: spec.parameters.scope: Unsupported value: \"Global\": "
                + "supported values: \"Cluster\", \"Namespace\"");
        fails(() -> c.create("networking.k8s.io", "ingressclasses", null, """
                metadata: {name: params}
                spec:
                  controller: acme.io/ingress
                  parameters: {kind: IngressParameters, name: p, namespace: default}
                """), 422, "IngressClass.networking.k8s.io \"params\" is invalid: spec.parameters.namespace: Forbidden: "
                + "`parameters.scope` is set to 'Cluster'");
        ObjectNode ok = c.create("networking.k8s.io", "ingressclasses", null, """
                metadata: {name: nginx}
                spec: {controller: k8s.io/ingress-nginx, parameters: {kind: IngressParameters, name: p}}
                """);
        assertThat(ok.path("spec").path("parameters").path("scope").asText()).isEqualTo("Cluster");
        ((ObjectNode) ok.get("spec")).put("controller", "acme.io/other");
        fails(() -> c.update("networking.k8s.io", "ingressclasses", null, ok), 422,
                "IngressClass.networking.k8s.io \"nginx\" is invalid: spec.controller: Invalid value: \"acme.io/other\": field is immutable");
    }

    @Test
    void leasesNeedAPositiveDurationAndNonNegativeTransitions() {
        fails(() -> c.create("coordination.k8s.io", "leases", "default", "metadata: {name: l}\nspec: {leaseDurationSeconds: 0, leaseTransitions: -1}"),
                422, "Lease.coordination.k8s.io \"l\" is invalid: [spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0, "
                        + "spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0]");
        ObjectNode lease = c.create("coordination.k8s.io", "leases", "default", """
                metadata: {name: l}
                spec: {holderIdentity: node-1, leaseDurationSeconds: 40, strategy: OldestEmulationVersion, preferredHolder: node-2}
                """);
        // the CoordinatedLeaderElection fields are off in 1.32, and dropped
        assertThat(lease.path("spec").has("strategy")).isFalse();
        assertThat(lease.path("spec").has("preferredHolder")).isFalse();
        ((ObjectNode) lease.get("spec")).put("leaseDurationSeconds", -5);
        fails(() -> c.update("coordination.k8s.io", "leases", "default", lease), 422,
                "Lease.coordination.k8s.io \"l\" is invalid: spec.leaseDurationSeconds: Invalid value: -5: must be greater than 0");
    }

    @Test
    void controllerRevisionsNeedDataThatNeverChangesAndANonNegativeRevision() {
        fails(() -> c.create("apps", "controllerrevisions", "default", "metadata: {name: r}\nrevision: -1"), 422,
                "ControllerRevision.apps \"r\" is invalid: [data: Required value: data is mandatory, "
                        + "revision: Invalid value: -1: must be greater than or equal to 0]");
        ObjectNode rev = c.create("apps", "controllerrevisions", "default", "metadata: {name: r}\nrevision: 1\ndata: {spec: {a: 1}}");
        rev.put("revision", 2);
        assertThat(c.update("apps", "controllerrevisions", "default", rev).path("revision").asLong()).isEqualTo(2);
        ObjectNode changed = c.get("apps", "controllerrevisions", "default", "r");
        changed.putObject("data").put("other", true);
        fails(() -> c.update("apps", "controllerrevisions", "default", changed), 422,
                "ControllerRevision.apps \"r\" is invalid: data: Invalid value: {\"other\":true}: field is immutable");
    }

    @Test
    void serviceAccountSecretReferencesKeepOnlyTheirNames() {
        ObjectNode sa = c.create("", "serviceaccounts", "default", "metadata: {name: builder}\nsecrets: [{name: s1, namespace: other, uid: u}]");
        assertThat(sa.path("secrets").toString()).isEqualTo("[{\"name\":\"s1\"}]");
        fails(() -> c.create("", "serviceaccounts", "default", "metadata: {name: Builder}"), 422,
                "ServiceAccount \"Builder\" is invalid: metadata.name: Invalid value: \"Builder\": a lowercase RFC 1123 subdomain must consist of "
                        + "lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "
                        + "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
    }
}
