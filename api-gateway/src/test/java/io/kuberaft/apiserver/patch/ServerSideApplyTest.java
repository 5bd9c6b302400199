package io.kuberaft.apiserver.patch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.BuiltinResources;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.apiserver.registry.ResourceRegistry;
import io.kuberaft.kubeapi.StatusException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static io.kuberaft.apiserver.patch.Json.obj;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Server-side apply and Update ownership, on the objects without the HTTP layer. */
class ServerSideApplyTest {
    private static final ResourceDefinition DEPLOYMENTS;
    private static final ResourceDefinition CONFIGMAPS;

    static {
        ResourceRegistry r = new ResourceRegistry();
        BuiltinResources.registerAll(r);
        DEPLOYMENTS = r.find("apps", "v1", "deployments").orElseThrow();
        CONFIGMAPS = r.find("", "v1", "configmaps").orElseThrow();
    }

    private final KubePatcher patcher = new KubePatcher(BuiltinPatchMeta.INSTANCE);
    private final FieldManager fieldManager = new FieldManager(BuiltinPatchMeta.INSTANCE);

    private static String config(int replicas, String image, String extraContainerFields) {
        return "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web','labels':{'app':'web'}},"
                + "'spec':{'replicas':" + replicas + ",'selector':{'matchLabels':{'app':'web'}},'template':{'metadata':{'labels':{'app':'web'}},"
                + "'spec':{'containers':[{'name':'web','image':'" + image + "'" + extraContainerFields + "}]}}}}";
    }

    private static final String PORTS = ",'ports':[{'containerPort':80}]";

    private ObjectNode apply(ResourceDefinition def, ObjectNode live, String config, String manager, boolean force) {
        return patcher.apply(def, "application/apply-patch+yaml", live.deepCopy(), config.replace('\'', '"').getBytes(StandardCharsets.UTF_8),
                manager, force);
    }

    private ObjectNode apply(ObjectNode live, String config, String manager) {
        return apply(DEPLOYMENTS, live, config, manager, false);
    }

    private static ObjectNode empty() {
        return KubePatcher.emptyObject(DEPLOYMENTS, "default", "web");
    }

    /** An ordinary write: the registry calls the hook with the stored and the new object. */
    private ObjectNode update(ResourceDefinition def, ObjectNode old, ObjectNode next, String manager) {
        ObjectNode n = next.deepCopy();
        fieldManager.track(def, old, n, n, manager, false);
        return n;
    }

    private static JsonNode entry(ObjectNode obj, String manager) {
        for (JsonNode e : obj.path("metadata").path("managedFields")) {
            if (e.path("manager").asText().equals(manager)) {
                return e;
            }
        }
        return null;
    }

    @Test
    void applyRecordsWhatTheConfigurationSets() {
        ObjectNode out = apply(empty(), config(2, "nginx", PORTS), "kubectl");
        assertThat(out.path("spec").path("replicas").asInt()).isEqualTo(2);
        JsonNode e = entry(out, "kubectl");
        assertThat(e.path("operation").asText()).isEqualTo("Apply");
        assertThat(e.path("apiVersion").asText()).isEqualTo("apps/v1");
        assertThat(e.path("fieldsType").asText()).isEqualTo("FieldsV1");
        assertThat(e.path("time").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");
        assertThat(e.path("fieldsV1")).isEqualTo(obj("{'f:metadata':{'f:labels':{'f:app':{}}},'f:spec':{'f:replicas':{},'f:selector':{},"
                + "'f:template':{'f:metadata':{'f:labels':{'f:app':{}}},'f:spec':{'f:containers':{'k:{\\'name\\':\\'web\\'}':{'.':{},"
                + "'f:image':{},'f:name':{},'f:ports':{'k:{\\'containerPort\\':80,\\'protocol\\':\\'TCP\\'}':{'.':{},'f:containerPort':{}}}}}}}}}"
                .replace("\\'", "\\\"")));
    }

    @Test
    void reapplyingTheSameConfigurationChangesNothing() {
        ObjectNode first = apply(empty(), config(2, "nginx", PORTS), "kubectl");
        ObjectNode second = apply(first, config(2, "nginx", PORTS), "kubectl");
        assertThat(second).isEqualTo(first);
    }

    @Test
    void anotherApplierChangingAnOwnedFieldConflictsUnlessForced() {
        ObjectNode live = apply(empty(), config(2, "nginx", PORTS), "kubectl");
        assertThatThrownBy(() -> apply(live, config(3, "nginx", PORTS), "other"))
                .isInstanceOfSatisfying(StatusException.class, e -> {
                    assertThat(e.code()).isEqualTo(409);
                    assertThat(e.reason()).isEqualTo("Conflict");
                    assertThat(e.getMessage()).isEqualTo("Apply failed with 1 conflict: conflict with \"kubectl\": .spec.replicas");
                    assertThat(e.causes()).containsExactly(new StatusException.Cause("FieldManagerConflict", "conflict with \"kubectl\"", ".spec.replicas"));
                    assertThat(e.toStatus().path("details").has("name")).isFalse();
                });
        ObjectNode forced = apply(DEPLOYMENTS, live, config(3, "nginx", PORTS), "other", true);
        assertThat(forced.path("spec").path("replicas").asInt()).isEqualTo(3);
        assertThat(entry(forced, "kubectl").path("fieldsV1").path("f:spec").has("f:replicas")).isFalse();
        assertThat(entry(forced, "other").path("fieldsV1").path("f:spec").has("f:replicas")).isTrue();
        // now the first applier conflicts with the second
        assertThatThrownBy(() -> apply(forced, config(2, "nginx", PORTS), "kubectl"))
                .hasMessage("Apply failed with 1 conflict: conflict with \"other\": .spec.replicas");
    }

    @Test
    void applyingTheSameValueSharesOwnership() {
        ObjectNode live = apply(empty(), config(2, "nginx", PORTS), "kubectl");
        ObjectNode shared = apply(live, "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web'},'spec':{'replicas':2}}", "other");
        assertThat(entry(shared, "kubectl").path("fieldsV1").path("f:spec").has("f:replicas")).isTrue();
        assertThat(entry(shared, "other").path("fieldsV1").path("f:spec").has("f:replicas")).isTrue();
        // The first applier drops replicas from its configuration: the co-owner keeps the field.
        ObjectNode dropped = apply(shared, config(2, "nginx", PORTS).replace("'replicas':2,", ""), "kubectl");
        assertThat(dropped.path("spec").path("replicas").asInt()).isEqualTo(2);
        // The co-owner drops it too: now nobody owns it and it goes.
        ObjectNode gone = apply(dropped, "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web','labels':{'x':'y'}}}", "other");
        assertThat(gone.path("spec").has("replicas")).isFalse();
    }

    @Test
    void fieldsRemovedFromTheConfigurationAreRemoved() {
        ObjectNode live = apply(empty(), config(2, "nginx", PORTS), "kubectl");
        ObjectNode noPorts = apply(live, config(2, "nginx", ""), "kubectl");
        assertThat(noPorts.path("spec").path("template").path("spec").path("containers").get(0).has("ports")).isFalse();
        assertThat(entry(noPorts, "kubectl").toString()).doesNotContain("containerPort");
        // a second container added, then removed again
        String two = config(2, "nginx", "").replace("}]}}}}", "},{'name':'sidecar','image':'busybox'}]}}}}");
        ObjectNode withSidecar = apply(noPorts, two, "kubectl");
        assertThat(withSidecar.path("spec").path("template").path("spec").path("containers")).hasSize(2);
        ObjectNode without = apply(withSidecar, config(2, "nginx", ""), "kubectl");
        assertThat(without.path("spec").path("template").path("spec").path("containers")).hasSize(1);
    }

    @Test
    void fieldsAnotherManagerUpdatedStay() {
        ObjectNode live = apply(empty(), config(2, "nginx", ""), "kubectl");
        // A controller (Update) sets an annotation and changes the image.
        ObjectNode changed = live.deepCopy();
        ((ObjectNode) changed.path("metadata")).putObject("annotations").put("note", "x");
        ((ObjectNode) changed.path("spec").path("template").path("spec").path("containers").get(0)).put("image", "nginx:1.26");
        ObjectNode updated = update(DEPLOYMENTS, live, changed, "controller");
        JsonNode ctl = entry(updated, "controller");
        assertThat(ctl.path("operation").asText()).isEqualTo("Update");
        assertThat(ctl.path("fieldsV1")).isEqualTo(obj("{'f:metadata':{'f:annotations':{'.':{},'f:note':{}}},"
                + "'f:spec':{'f:template':{'f:spec':{'f:containers':{'k:{\\'name\\':\\'web\\'}':{'f:image':{}}}}}}}".replace("\\'", "\\\"")));
        // The Update took the image from the applier.
        assertThat(entry(updated, "kubectl").path("fieldsV1").toString()).doesNotContain("f:image");
        // Re-applying the old image now conflicts with the controller.
        assertThatThrownBy(() -> apply(updated, config(2, "nginx", ""), "kubectl"))
                .hasMessage("Apply failed with 1 conflict: conflict with \"controller\" using apps/v1: "
                        + ".spec.template.spec.containers[name=\"web\"].image");
    }

    @Test
    void clientSideApplyOwnershipConflictsWithAnotherServerSideApplier() {
        ObjectNode created = obj(config(2, "nginx", PORTS));
        ((ObjectNode) created.path("metadata")).put("namespace", "default").put("uid", "u1").put("creationTimestamp", "2026-01-01T00:00:00Z");
        ObjectNode live = update(DEPLOYMENTS, null, created, "kubectl-client-side-apply");
        assertThatThrownBy(() -> apply(live, config(3, "nginx", PORTS), "other"))
                .hasMessage("Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using apps/v1: .spec.replicas");
    }

    @Test
    void kubectlTakesOverClientSideApplyFieldsThatMatchTheLastAppliedConfiguration() {
        ObjectNode created = obj(config(2, "nginx", PORTS));
        String lastApplied = ServerSideApply.lastAppliedOf(created);
        ((ObjectNode) created.path("metadata")).putObject("annotations").put(ServerSideApply.LAST_APPLIED, lastApplied);
        ObjectNode live = update(DEPLOYMENTS, null, created, "kubectl-client-side-apply");
        ObjectNode applied = apply(live, config(3, "nginx", PORTS), "kubectl");
        assertThat(applied.path("spec").path("replicas").asInt()).isEqualTo(3);
        // the server keeps the annotation in step with what kubectl applied
        assertThat(applied.path("metadata").path("annotations").path(ServerSideApply.LAST_APPLIED).asText())
                .contains("\"replicas\":3").endsWith("\n");
        // a field client-side apply changed since (not matching the annotation) still conflicts
        ObjectNode drifted = live.deepCopy();
        ((ObjectNode) drifted.path("spec")).put("paused", true);
        ObjectNode driftedLive = update(DEPLOYMENTS, live, drifted, "kubectl-client-side-apply");
        assertThatThrownBy(() -> apply(driftedLive, config(3, "nginx", PORTS).replace("'replicas':3,", "'replicas':3,'paused':false,"), "kubectl"))
                .hasMessage("Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using apps/v1: .spec.paused");
    }

    @Test
    void severalConflictsAreListedByManager() {
        ObjectNode live = apply(empty(), config(2, "nginx", PORTS), "kubectl");
        ObjectNode changed = live.deepCopy();
        ((ObjectNode) changed.path("metadata").path("labels")).put("tier", "a");
        ObjectNode updated = update(DEPLOYMENTS, live, changed, "labeler");
        String cfg = config(5, "httpd", PORTS).replace("'labels':{'app':'web'}},'spec'", "'labels':{'app':'web','tier':'b'}},'spec'");
        assertThatThrownBy(() -> apply(updated, cfg, "other"))
                .isInstanceOfSatisfying(StatusException.class, e -> {
                    assertThat(e.getMessage()).isEqualTo("Apply failed with 3 conflicts: conflicts with \"kubectl\":\n"
                            + "- .spec.replicas\n- .spec.template.spec.containers[name=\"web\"].image\n"
                            + "conflicts with \"labeler\" using apps/v1:\n- .metadata.labels.tier");
                    assertThat(e.causes()).hasSize(3);
                });
    }

    @Test
    void setsAndMapsOfStrings() {
        ObjectNode cm = KubePatcher.emptyObject(CONFIGMAPS, "default", "c");
        ObjectNode a = apply(CONFIGMAPS, cm, "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'c','finalizers':['x','y']},"
                + "'data':{'a':'1','b':'2'}}", "one", false);
        assertThat(entry(a, "one").path("fieldsV1")).isEqualTo(obj("{'f:data':{'f:a':{},'f:b':{}},"
                + "'f:metadata':{'f:finalizers':{'v:\\'x\\'':{},'v:\\'y\\'':{}}}}".replace("\\'", "\\\"")));
        ObjectNode b = apply(CONFIGMAPS, a, "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'c','finalizers':['z']},'data':{'c':'3'}}",
                "two", false);
        assertThat(b.path("metadata").path("finalizers").toString()).isEqualTo("[\"x\",\"y\",\"z\"]");
        assertThat(b.path("data").toString()).isEqualTo("{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\"}");
        ObjectNode c = apply(CONFIGMAPS, b, "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'c','finalizers':['y']},'data':{'a':'1'}}",
                "one", false);
        assertThat(c.path("metadata").path("finalizers").toString()).isEqualTo("[\"y\",\"z\"]");
        assertThat(c.path("data").toString()).isEqualTo("{\"a\":\"1\",\"c\":\"3\"}");
    }

    @Test
    void listItemsKeepTheirLiveOrderAroundTheConfiguration() {
        ObjectNode live = apply(empty(), config(2, "nginx", "").replace("}]}}}}", "},{'name':'b','image':'x'}]}}}}"), "kubectl");
        ObjectNode other = apply(live, "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web'},'spec':{'template':{'spec':"
                + "{'containers':[{'name':'b','image':'x'},{'name':'c','image':'y'}]}}}}", "other");
        List<String> names = new java.util.ArrayList<>();
        other.path("spec").path("template").path("spec").path("containers").forEach(c -> names.add(c.path("name").asText()));
        assertThat(names).containsExactly("web", "b", "c");
    }

    @Test
    void requestsApplyRefuses() {
        assertThatThrownBy(() -> apply(empty(), config(2, "nginx", "").replace("apps/v1", "apps/v1beta1"), "kubectl"))
                .isInstanceOfSatisfying(StatusException.class, e -> {
                    assertThat(e.code()).isEqualTo(400);
                    assertThat(e.getMessage()).isEqualTo("Incorrect version specified in apply patch. Specified patch version: apps/v1beta1, expected: apps/v1");
                });
        assertThatThrownBy(() -> apply(empty(), "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web','managedFields':[]}}", "kubectl"))
                .hasMessage("metadata.managedFields must be nil");
        assertThatThrownBy(() -> apply(empty(), config(2, "nginx", ""), null))
                .isInstanceOfSatisfying(StatusException.class, e -> {
                    assertThat(e.code()).isEqualTo(422);
                    assertThat(e.getMessage()).isEqualTo("PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch");
                });
        assertThatThrownBy(() -> patcher.apply(DEPLOYMENTS, "application/merge-patch+json", empty(), "{}".getBytes(StandardCharsets.UTF_8), null, true))
                .hasMessage("PatchOptions.meta.k8s.io \"\" is invalid: force: Forbidden: may not be specified for non-apply patch");
        assertThatThrownBy(() -> apply(empty(), config(2, "nginx", "").replace("'name':'web','image'", "'image'"), "kubectl"))
                .isInstanceOfSatisfying(StatusException.class, e -> assertThat(e.getMessage())
                        .contains("associative list with keys has an element that omits key field \"name\""));
        assertThatThrownBy(() -> apply(empty(), config(2, "nginx", "").replace("}]}}}}", "},{'name':'web'}]}}}}"), "kubectl"))
                .hasMessageContaining("duplicate entries for key [name=\"web\"]");
        assertThatThrownBy(() -> patcher.apply(DEPLOYMENTS, "application/apply-patch+yaml", empty(), "- a\n- b\n".getBytes(StandardCharsets.UTF_8), "m", false))
                .isInstanceOfSatisfying(StatusException.class, e -> assertThat(e.code()).isEqualTo(400));
    }

    @Test
    void yamlConfigurationsAreAccepted() {
        String yaml = """
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: web
                spec:
                  replicas: 4
                """;
        ObjectNode out = patcher.apply(DEPLOYMENTS, "application/apply-patch+yaml", empty(), yaml.getBytes(StandardCharsets.UTF_8), "m", false);
        assertThat(out.path("spec").path("replicas").asInt()).isEqualTo(4);
    }

    @Test
    void updatesOnCreateLookLikeUpstreams() {
        ObjectNode created = obj(config(2, "nginx", PORTS));
        ((ObjectNode) created.path("spec")).putObject("strategy").put("type", "RollingUpdate").putObject("rollingUpdate").put("maxSurge", "25%");
        ((ObjectNode) created.path("metadata")).put("uid", "u").put("resourceVersion", "5").put("generation", 1);
        created.putObject("status").put("replicas", 0);
        ObjectNode out = update(DEPLOYMENTS, null, created, "kubectl-create");
        JsonNode f = entry(out, "kubectl-create").path("fieldsV1");
        assertThat(f.path("f:metadata").toString()).isEqualTo("{\"f:labels\":{\".\":{},\"f:app\":{}}}");
        assertThat(f.path("f:spec").has(".")).isFalse();
        assertThat(f.path("f:spec").path("f:strategy").has(".")).isFalse();
        assertThat(f.path("f:spec").path("f:strategy").path("f:rollingUpdate").has(".")).isTrue();
        assertThat(f.path("f:spec").path("f:template").path("f:spec").path("f:containers").has(".")).isFalse();
        assertThat(f.path("f:spec").path("f:template").path("f:spec").path("f:containers").path("k:{\"name\":\"web\"}").has(".")).isTrue();
        assertThat(f.has("f:status")).as("status is the status subresource's").isFalse();
        assertThat(f.has("f:apiVersion") || f.has("f:kind")).isFalse();
    }

    @Test
    void statusWritesAreOwnedWithTheSubresource() {
        ObjectNode live = apply(empty(), config(2, "nginx", ""), "kubectl");
        ObjectNode next = live.deepCopy();
        next.putObject("status").put("replicas", 2);
        fieldManager.track(DEPLOYMENTS, live, next, next, "controller", true);
        JsonNode e = entry(next, "controller");
        assertThat(e.path("subresource").asText()).isEqualTo("status");
        assertThat(e.path("fieldsV1").toString()).isEqualTo("{\"f:status\":{\"f:replicas\":{}}}");
    }

    @Test
    void managedFieldsTheClientSendsAreHonoured() {
        ObjectNode live = apply(empty(), config(2, "nginx", ""), "kubectl");
        ObjectNode reset = live.deepCopy();
        ((ObjectNode) reset.path("metadata")).putArray("managedFields").addObject();
        ObjectNode out = update(DEPLOYMENTS, live, reset, "kubectl-edit");
        assertThat(out.path("metadata").has("managedFields")).isFalse();
        // an edit without managedFields keeps the stored ones and adds its own
        ObjectNode edited = live.deepCopy();
        ((ObjectNode) edited.path("metadata")).remove("managedFields");
        ((ObjectNode) edited.path("spec")).put("replicas", 7);
        ObjectNode kept = update(DEPLOYMENTS, live, edited, "kubectl-edit");
        assertThat(entry(kept, "kubectl")).isNotNull();
        assertThat(entry(kept, "kubectl-edit").path("fieldsV1").toString()).isEqualTo("{\"f:spec\":{\"f:replicas\":{}}}");
        // malformed managedFields from the client fall back to the stored ones
        ObjectNode bad = live.deepCopy();
        ((ObjectNode) bad.path("metadata")).putArray("managedFields").addObject().put("fieldsType", "FieldsV9");
        assertThat(entry(update(DEPLOYMENTS, live, bad, "x"), "kubectl")).isNotNull();
    }

    @Test
    void updateManagersAreCappedAtTen() {
        ObjectNode live = apply(empty(), config(2, "nginx", ""), "kubectl");
        for (int i = 0; i < 12; i++) {
            ObjectNode next = live.deepCopy();
            ((ObjectNode) next.path("metadata").path("labels")).put("k" + i, "v");
            live = update(DEPLOYMENTS, live, next, "m" + i);
        }
        long updaters = 0;
        for (JsonNode e : live.path("metadata").path("managedFields")) {
            updaters += e.path("operation").asText().equals("Update") ? 1 : 0;
        }
        assertThat(updaters).isEqualTo(10);
        assertThat(entry(live, "ancient-changes")).isNotNull();
    }

    @Test
    void fieldSetsRoundTripThroughFieldsV1() {
        ObjectNode v1 = obj("{'f:metadata':{'f:labels':{'.':{},'f:app':{}}},'f:spec':{'f:containers':{'k:{\\'name\\':\\'a\\'}':{'.':{},'f:image':{}}}}}"
                .replace("\\'", "\\\""));
        FieldSet s = FieldSet.fromFieldsV1(v1);
        assertThat(s.toFieldsV1()).isEqualTo(v1);
        assertThat(s.paths().stream().map(FieldSet::pathString)).containsExactly(
                ".metadata.labels", ".metadata.labels.app", ".spec.containers[name=\"a\"]", ".spec.containers[name=\"a\"].image");
        assertThatThrownBy(() -> FieldSet.fromFieldsV1(obj("{'x:y':{}}"))).isInstanceOf(IllegalArgumentException.class);
    }
}
