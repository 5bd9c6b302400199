package io.kuberaft.apiserver.patch;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.BuiltinResources;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.apiserver.registry.ResourceRegistry;
import io.kuberaft.kubeapi.StatusException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static io.kuberaft.apiserver.patch.Json.obj;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Strategic merge patch on the cases upstream documents ("Update API Objects in Place Using kubectl patch",
 * the strategic-merge-patch and preserve-order design proposals), with inputs of our own.
 */
class StrategicMergePatchTest {
    private static final PatchMeta.Kind DEPLOYMENT = new PatchMeta.Kind(BuiltinPatchMeta.INSTANCE, "apps", "Deployment");
    private static final PatchMeta.Kind POD = new PatchMeta.Kind(BuiltinPatchMeta.INSTANCE, "", "Pod");

    private static ObjectNode smp(PatchMeta.Kind kind, String original, String patch) {
        return StrategicMergePatch.apply(obj(original), obj(patch), kind);
    }

    private static ObjectNode deployment(String podSpec) {
        return obj("{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web'},'spec':{'replicas':2,"
                + "'template':{'metadata':{'labels':{'app':'web'}},'spec':" + podSpec + "}}}");
    }

    private static String podSpec(ObjectNode d) {
        return d.path("spec").path("template").path("spec").toString().replace('"', '\'');
    }

    @Test
    void containersMergeByNameAndANewContainerComesFirst() {
        ObjectNode d = deployment("{'containers':[{'name':'app','image':'nginx:1.24','ports':[{'containerPort':80}]}]}");
        ObjectNode out = StrategicMergePatch.apply(d, obj("{'spec':{'template':{'spec':{'containers':[{'name':'sidecar','image':'redis'}]}}}}"),
                DEPLOYMENT);
        assertThat(podSpec(out)).isEqualTo("{'containers':[{'name':'sidecar','image':'redis'},"
                + "{'name':'app','image':'nginx:1.24','ports':[{'containerPort':80}]}]}");
        // Changing one container keeps the other, and its untouched fields.
        ObjectNode again = StrategicMergePatch.apply(out, obj("{'spec':{'template':{'spec':{'containers':[{'name':'app','image':'nginx:1.25'}]}}}}"),
                DEPLOYMENT);
        assertThat(podSpec(again)).isEqualTo("{'containers':[{'name':'sidecar','image':'redis'},"
                + "{'name':'app','image':'nginx:1.25','ports':[{'containerPort':80}]}]}");
        assertThat(again.path("spec").path("replicas").asInt()).isEqualTo(2);
    }

    @Test
    void listsWithoutAStrategyAreReplaced() {
        ObjectNode d = deployment("{'containers':[{'name':'app','image':'nginx'}],'tolerations':[{'key':'a','operator':'Exists'}]}");
        ObjectNode out = StrategicMergePatch.apply(d, obj("{'spec':{'template':{'spec':{'tolerations':[{'key':'b','operator':'Exists'}]}}}}"),
                DEPLOYMENT);
        assertThat(podSpec(out)).isEqualTo("{'containers':[{'name':'app','image':'nginx'}],'tolerations':[{'key':'b','operator':'Exists'}]}");
        // container args have no strategy either
        ObjectNode args = smp(POD, "{'spec':{'containers':[{'name':'a','args':['x','y']}]}}",
                "{'spec':{'containers':[{'name':'a','args':['z']}]}}");
        assertThat(args.path("spec").path("containers").get(0).path("args").toString()).isEqualTo("[\"z\"]");
    }

    @Test
    void nullDeletesAMapKeyAndMapsMerge() {
        ObjectNode out = smp(POD, "{'metadata':{'labels':{'a':'1','b':'2'}},'spec':{'nodeSelector':{'disk':'ssd'}}}",
                "{'metadata':{'labels':{'a':null,'c':'3'}},'spec':{'nodeSelector':{'zone':'x'}}}");
        assertThat(out.path("metadata").path("labels").toString()).isEqualTo("{\"b\":\"2\",\"c\":\"3\"}");
        assertThat(out.path("spec").path("nodeSelector").toString()).isEqualTo("{\"disk\":\"ssd\",\"zone\":\"x\"}");
        // null for a key that does not exist is dropped, not stored
        ObjectNode none = smp(POD, "{'spec':{}}", "{'spec':{'hostname':null,'x':{'y':null,'z':1}}}");
        assertThat(none.path("spec").toString()).isEqualTo("{\"x\":{\"z\":1}}");
    }

    @Test
    void cordonAndUncordonPatches() {
        ObjectNode node = obj("{'apiVersion':'v1','kind':'Node','metadata':{'name':'node1'},'spec':{'podCIDR':'10.0.0.0/24'}}");
        PatchMeta.Kind k = new PatchMeta.Kind(BuiltinPatchMeta.INSTANCE, "", "Node");
        ObjectNode cordoned = StrategicMergePatch.apply(node, obj("{'spec':{'unschedulable':true}}"), k);
        assertThat(cordoned.path("spec").path("unschedulable").asBoolean()).isTrue();
        ObjectNode uncordoned = StrategicMergePatch.apply(cordoned, obj("{'spec':{'unschedulable':null}}"), k);
        assertThat(uncordoned.path("spec").toString()).isEqualTo("{\"podCIDR\":\"10.0.0.0/24\"}");
    }

    @Test
    void patchReplaceOnAMapAndOnAList() {
        ObjectNode out = smp(POD, "{'metadata':{'labels':{'a':'1','b':'2'}}}", "{'metadata':{'labels':{'$patch':'replace','c':'3'}}}");
        assertThat(out.path("metadata").path("labels").toString()).isEqualTo("{\"c\":\"3\"}");
        ObjectNode list = smp(POD, "{'spec':{'containers':[{'name':'a','image':'x'},{'name':'b','image':'y'}]}}",
                "{'spec':{'containers':[{'name':'c','image':'z'},{'$patch':'replace'}]}}");
        assertThat(list.path("spec").path("containers").toString()).isEqualTo("[{\"name\":\"c\",\"image\":\"z\"}]");
    }

    @Test
    void patchDeleteRemovesAListElementByMergeKeyOrAWholeMap() {
        ObjectNode out = smp(POD, "{'spec':{'containers':[{'name':'a','image':'x'},{'name':'b','image':'y'}]}}",
                "{'spec':{'containers':[{'name':'a','$patch':'delete'}]}}");
        assertThat(out.path("spec").path("containers").toString()).isEqualTo("[{\"name\":\"b\",\"image\":\"y\"}]");
        ObjectNode map = smp(POD, "{'spec':{'securityContext':{'runAsUser':1000},'hostname':'h'}}",
                "{'spec':{'securityContext':{'$patch':'delete'}}}");
        assertThat(map.path("spec").path("securityContext").toString()).isEqualTo("{}");
        assertThat(map.path("spec").path("hostname").asText()).isEqualTo("h");
    }

    @Test
    void retainKeysClearsTheOtherMembersOfAUnion() {
        ObjectNode d = obj("{'spec':{'strategy':{'type':'RollingUpdate','rollingUpdate':{'maxSurge':'25%','maxUnavailable':'25%'}}}}");
        ObjectNode out = StrategicMergePatch.apply(d, obj("{'spec':{'strategy':{'$retainKeys':['type'],'type':'Recreate'}}}"), DEPLOYMENT);
        assertThat(out.path("spec").path("strategy").toString()).isEqualTo("{\"type\":\"Recreate\"}");
        // Without the directive the stale rollingUpdate would stay.
        ObjectNode plain = StrategicMergePatch.apply(d, obj("{'spec':{'strategy':{'type':'Recreate'}}}"), DEPLOYMENT);
        assertThat(plain.path("spec").path("strategy").has("rollingUpdate")).isTrue();
        // A volume's source is replaced the same way
        ObjectNode vol = smp(POD, "{'spec':{'volumes':[{'name':'v','emptyDir':{}}]}}",
                "{'spec':{'volumes':[{'name':'v','$retainKeys':['configMap','name'],'configMap':{'name':'cm'}}]}}");
        assertThat(vol.path("spec").path("volumes").toString()).isEqualTo("[{\"name\":\"v\",\"configMap\":{\"name\":\"cm\"}}]");
    }

    @Test
    void retainKeysMustCoverThePatch() {
        assertThatThrownBy(() -> smp(POD, "{'spec':{'strategy':{}}}", "{'spec':{'strategy':{'$retainKeys':['type'],'other':1}}}"))
                .isInstanceOfSatisfying(StatusException.class, e -> {
                    assertThat(e.code()).isEqualTo(422);
                    assertThat(e.getMessage()).isEqualTo("patch content doesn't match retainKeys list");
                });
    }

    @Test
    void setElementOrderOrdersTheMergedList() {
        ObjectNode out = smp(POD, "{'spec':{'containers':[{'name':'a'},{'name':'b'},{'name':'c'}]}}",
                "{'spec':{'$setElementOrder/containers':[{'name':'c'},{'name':'a'},{'name':'d'},{'name':'b'}],"
                        + "'containers':[{'name':'a','image':'x'},{'name':'d','image':'new'}]}}");
        assertThat(out.path("spec").path("containers").toString())
                .isEqualTo("[{\"name\":\"c\"},{\"name\":\"a\",\"image\":\"x\"},{\"name\":\"d\",\"image\":\"new\"},{\"name\":\"b\"}]");
        // primitive list order
        ObjectNode fin = smp(POD, "{'metadata':{'finalizers':['a','b']}}",
                "{'metadata':{'$setElementOrder/finalizers':['b','c','a'],'finalizers':['c']}}");
        assertThat(fin.path("metadata").path("finalizers").toString()).isEqualTo("[\"b\",\"c\",\"a\"]");
    }

    @Test
    void setElementOrderMustAgreeWithThePatchList() {
        assertThatThrownBy(() -> smp(POD, "{'spec':{'containers':[{'name':'a'},{'name':'b'}]}}",
                "{'spec':{'$setElementOrder/containers':[{'name':'a'},{'name':'b'}],'containers':[{'name':'b'},{'name':'a'}]}}"))
                .isInstanceOfSatisfying(StatusException.class, e -> assertThat(e.code()).isEqualTo(400));
    }

    @Test
    void primitiveMergeListsUniteAndDeleteFromPrimitiveListRemoves() {
        ObjectNode out = smp(POD, "{'metadata':{'finalizers':['a','b']}}", "{'metadata':{'finalizers':['c','a']}}");
        assertThat(out.path("metadata").path("finalizers").toString()).isEqualTo("[\"c\",\"a\",\"b\"]");
        ObjectNode del = smp(POD, "{'metadata':{'finalizers':['a','b','c']}}", "{'metadata':{'$deleteFromPrimitiveList/finalizers':['b']}}");
        assertThat(del.path("metadata").path("finalizers").toString()).isEqualTo("[\"a\",\"c\"]");
    }

    @Test
    void portsMergeByContainerPortAndEnvByName() {
        ObjectNode out = smp(POD, "{'spec':{'containers':[{'name':'a','ports':[{'containerPort':80},{'containerPort':8080}],"
                        + "'env':[{'name':'X','value':'1'},{'name':'Y','value':'2'}]}]}}",
                "{'spec':{'containers':[{'name':'a','ports':[{'containerPort':8080,'$patch':'delete'},{'containerPort':443}],"
                        + "'env':[{'name':'Y','value':'3'}]}]}}");
        assertThat(out.path("spec").path("containers").get(0).toString()).isEqualTo(
                "{\"name\":\"a\",\"ports\":[{\"containerPort\":443},{\"containerPort\":80}],"
                        + "\"env\":[{\"name\":\"X\",\"value\":\"1\"},{\"name\":\"Y\",\"value\":\"3\"}]}");
    }

    @Test
    void theThreeWayPatchKubectlApplySendsToRemoveAPort() {
        ObjectNode d = deployment("{'containers':[{'name':'web','image':'nginx','ports':[{'containerPort':80,'protocol':'TCP'},"
                + "{'containerPort':8080,'protocol':'TCP'}]}]}");
        ObjectNode out = StrategicMergePatch.apply(d, obj("{'spec':{'template':{'spec':{'$setElementOrder/containers':[{'name':'web'}],"
                + "'containers':[{'$setElementOrder/ports':[{'containerPort':80}],'name':'web','ports':[{'$patch':'delete','containerPort':8080}]}]}}}}"),
                DEPLOYMENT);
        assertThat(podSpec(out)).isEqualTo("{'containers':[{'name':'web','image':'nginx','ports':[{'containerPort':80,'protocol':'TCP'}]}]}");
    }

    @Test
    void servicePortsMergeByPortAndOwnerReferencesByUid() {
        PatchMeta.Kind svc = new PatchMeta.Kind(BuiltinPatchMeta.INSTANCE, "", "Service");
        ObjectNode out = StrategicMergePatch.apply(obj("{'spec':{'ports':[{'port':80,'targetPort':8080},{'port':443}]}}"),
                obj("{'spec':{'ports':[{'port':80,'targetPort':9090}]}}"), svc);
        assertThat(out.path("spec").path("ports").toString()).isEqualTo("[{\"port\":80,\"targetPort\":9090},{\"port\":443}]");
        ObjectNode owners = StrategicMergePatch.apply(obj("{'metadata':{'ownerReferences':[{'uid':'1','name':'a'}]}}"),
                obj("{'metadata':{'ownerReferences':[{'uid':'2','name':'b'}]}}"), svc);
        assertThat(owners.path("metadata").path("ownerReferences")).hasSize(2);
    }

    @Test
    void mergeKeyIsRequiredInMergedLists() {
        assertThatThrownBy(() -> smp(POD, "{'spec':{'containers':[{'name':'a'}]}}", "{'spec':{'containers':[{'image':'x'}]}}"))
                .isInstanceOfSatisfying(StatusException.class, e -> {
                    assertThat(e.code()).isEqualTo(400);
                    assertThat(e.getMessage()).contains("does not contain declared merge key: name");
                });
    }

    @Test
    void badDirectivesAreClientErrors() {
        assertThatThrownBy(() -> smp(POD, "{'spec':{}}", "{'spec':{'$patch':'explode'}}"))
                .isInstanceOfSatisfying(StatusException.class, e -> assertThat(e.code()).isEqualTo(400));
        assertThatThrownBy(() -> smp(POD, "{'metadata':{'finalizers':['a']}}", "{'metadata':{'finalizers':[['b']]}}"))
                .isInstanceOfSatisfying(StatusException.class, e -> assertThat(e.code()).isEqualTo(422));
        assertThatThrownBy(() -> smp(POD, "{'spec':{'containers':[{'name':'a'}]}}", "{'spec':{'containers':[{'name':'a','$patch':'merge'}]}}"))
                .isInstanceOfSatisfying(StatusException.class, e -> assertThat(e.getMessage()).contains("merging lists cannot yet be specified"));
    }

    @Test
    void directivesNeverReachTheStoredObject() {
        ObjectNode out = smp(POD, "{'spec':{}}", "{'spec':{'containers':[{'name':'a','$patch':'delete'},{'name':'b','env':[{'name':'X','$patch':'delete'}]}],"
                + "'$retainKeys':['containers','volumes'],'volumes':[{'name':'v','$retainKeys':['name','emptyDir'],'emptyDir':{}}]}}");
        assertThat(out.toString()).doesNotContain("$");
        assertThat(out.path("spec").path("containers").toString()).isEqualTo("[{\"name\":\"b\",\"env\":[]}]");
    }

    @Test
    void hugeListsMergeQuickly() {
        com.fasterxml.jackson.databind.node.ArrayNode fin = Json.MAPPER.createArrayNode();
        com.fasterxml.jackson.databind.node.ArrayNode containers = Json.MAPPER.createArrayNode();
        for (int i = 0; i < 50_000; i++) {
            fin.add("f" + i);
            containers.addObject().put("name", "c" + i).put("image", "x");
        }
        ObjectNode patch = obj("{'metadata':{},'spec':{}}");
        ((ObjectNode) patch.get("metadata")).set("finalizers", fin);
        ((ObjectNode) patch.get("spec")).set("containers", containers);
        ((ObjectNode) patch.get("metadata")).set("$setElementOrder/finalizers", fin);
        // Not a timing test: a quadratic merge of 50,000 items takes many minutes, a linear one well under a
        // second, so the bound is generous enough for a loaded 2-core machine and still catches the regression.
        assertThat(org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(60), () -> {
            ObjectNode once = StrategicMergePatch.apply(obj("{'metadata':{'finalizers':['a']},'spec':{'containers':[{'name':'c1'}]}}"), patch, POD);
            return StrategicMergePatch.apply(once, patch, POD);
        }).path("spec").path("containers")).hasSize(50_000);
    }

    @Test
    void customResourcesRefuseStrategicMergePatch() {
        ResourceDefinition crd = new ResourceDefinition("example.com", "v1", "widgets", "widget", "Widget", true, java.util.List.of(),
                java.util.List.of(), ResourceDefinition.ALL_VERBS, java.util.List.of(), null, null);
        KubePatcher patcher = new KubePatcher(BuiltinPatchMeta.INSTANCE);
        assertThatThrownBy(() -> patcher.apply(crd, "application/strategic-merge-patch+json", obj("{'spec':{}}"),
                "{\"spec\":{\"a\":1}}".getBytes(StandardCharsets.UTF_8), null, false))
                .isInstanceOfSatisfying(StatusException.class, e -> {
                    assertThat(e.code()).isEqualTo(415);
                    assertThat(e.reason()).isEqualTo("UnsupportedMediaType");
                });
        // merge patch still works on them
        ObjectNode merged = patcher.apply(crd, "application/merge-patch+json", obj("{'spec':{'b':2}}"),
                "{\"spec\":{\"a\":1}}".getBytes(StandardCharsets.UTF_8), null, false);
        assertThat(merged.path("spec").toString()).isEqualTo("{\"b\":2,\"a\":1}");
    }

    @Test
    void everyBuiltinKindAcceptsStrategicMergePatch() {
        ResourceRegistry r = new ResourceRegistry();
        BuiltinResources.registerAll(r);
        KubePatcher patcher = new KubePatcher(BuiltinPatchMeta.INSTANCE);
        for (ResourceDefinition def : r.all()) {
            ObjectNode out = patcher.apply(def, "application/strategic-merge-patch+json", obj("{'metadata':{'name':'x'}}"),
                    "{\"metadata\":{\"labels\":{\"a\":\"b\"}}}".getBytes(StandardCharsets.UTF_8), "m", false);
            assertThat(out.path("metadata").path("labels").path("a").asText()).as(def.kind()).isEqualTo("b");
        }
    }
}
