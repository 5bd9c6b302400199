package io.kuberaft.cli;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 3 §8: real kubectl 1.32 against `./kuberaft up` (3 replicas, built-in load balancer): `apply -f` every
 * seed manifest with default validation, in file order (later files update objects of earlier ones), and check
 * kubectl's output against what upstream prints. Then a handful of get/describe/label/diff outputs that already
 * match upstream. Last, the same kubectl session (create, scale, get in every output format, describe, edit,
 * label/annotate, three patch types, diff, server-side apply, explain, cascading deletes, get -w) runs once,
 * the leader is SIGKILLed, and it runs again through the load balancer.
 *
 * <p>Where kuberaft still differs from upstream, the file is in {@link #KNOWN_GAPS}: it is applied (so later
 * files see the same state) and its output printed, but not asserted.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SeedManifestsIT {
    private static final Path ROOT = Path.of(System.getProperty("kuberaft.root", "..")).toAbsolutePath().normalize();
    private static final Path KUBECTL = Path.of("/usr/bin/kubectl");

    /** Expected `kubectl apply -f FILE` outcome: exit code zero or not, and substrings of the combined output. */
    record Expect(boolean ok, List<String> contains) {
        static Expect ok(String... lines) {
            return new Expect(true, List.of(lines));
        }

        static Expect fails(String... substrings) {
            return new Expect(false, List.of(substrings));
        }
    }

    private static final String NOT_FOUND_CRD = "ensure CRDs are installed first";

    private static Expect removed(String name, String kind, String apiVersion) {
        return Expect.fails("error: resource mapping not found for name: \"" + name + "\" namespace: \"\" from \"",
                "no matches for kind \"" + kind + "\" in version \"" + apiVersion + "\"", NOT_FOUND_CRD);
    }

    /** File → expectation, in apply order. Every file in the seed directory must be listed here. */
    static final Map<String, Expect> EXPECTED = new LinkedHashMap<>();

    static {
        Map<String, Expect> e = EXPECTED;
        e.put("000_0183_Pod.yaml", Expect.ok("pod/app-node created"));
        e.put("000_0380_Pod.yaml", Expect.ok("pod/app-node configured"));
        e.put("000_0463_Pod.yaml", Expect.ok("pod/app-node configured"));
        e.put("000_0540_Namespace.yaml", Expect.ok("namespace/user-namespace created"));
        e.put("000_0551_Pod.yaml", Expect.ok("pod/app-node created"));
        // Elided example: `...` ends the YAML document, leaving a Pod without a name; kubectl's GET fails client-side.
        e.put("000_0632_Pod.yaml", Expect.fails("error when retrieving current configuration of:",
                "Name: \"\", Namespace: \"default\"", "resource name may not be empty"));
        e.put("000_0655_Service.yaml", Expect.ok("service/app-service created"));
        e.put("000_0883_Pod-Service.yaml", Expect.ok("pod/proceed-1 created", "pod/proceed-2 created",
                "pod/proceed-3 created", "service/replicas-service created"));
        e.put("000_1057_ReplicationController.yaml", Expect.ok("replicationcontroller/replication-controller created"));
        e.put("000_1362_Pod.yaml", Expect.ok("pod/liveness-http-get-healthy created", "pod/liveness-http-get-unhealthy created"));
        e.put("000_1643_ReplicaSet.yaml", Expect.ok("replicaset.apps/replica-set created"));
        e.put("000_1753_ReplicaSet.yaml", Expect.ok("replicaset.apps/app-server created"));
        e.put("000_1794_Service.yaml", Expect.ok("service/app-service configured"));
        e.put("000_1935_Service.yaml", Expect.ok("service/app-service-session-affinity created"));
        e.put("000_2016_Service.yaml", Expect.ok("service/node-port created"));
        e.put("000_2246_Service.yaml", Expect.ok("service/env-service created"));
        e.put("000_2340_ReplicaSet-Service.yaml", Expect.ok("replicaset.apps/rs-endpoint created", "service/svc-endpoint created"));
        e.put("000_2431_Endpoints.yaml", Expect.ok("endpoints/svc-endpoint created"));
        e.put("000_2529_ReplicaSet-Service.yaml", Expect.ok("replicaset.apps/rs-external-name created",
                "service/svc-external-name created"));
        e.put("000_2706_ReplicaSet.yaml", Expect.ok("replicaset.apps/replicaset-deployments created"));
        e.put("000_2732_Service.yaml", Expect.ok("service/replicaset-deployments-service created"));
        // apps/v1 selectors are immutable; upstream prints the NEW selector with %#v.
        e.put("000_2842_ReplicaSet.yaml", Expect.fails("The ReplicaSet \"replicaset-deployments\" is invalid: spec.selector: "
                + "Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"replicaset-deployments\"}, "
                + "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"));
        e.put("000_2930_ReplicaSet.yaml", Expect.ok("replicaset.apps/replicaset-deployments-v2 created"));
        // Service spec.ports is a map: the server decodes it strictly (fieldValidation=Strict), as upstream.
        e.put("000_3055_Deployment-Service.yaml", Expect.fails("deployment.apps/deployment created",
                "Error from server (BadRequest)", "json: cannot unmarshal object into Go struct field ServiceSpec.spec.ports of type []v1.ServicePort"));
        // strategy has patchStrategy retainKeys, so switching to Recreate drops the defaulted rollingUpdate.
        e.put("000_3301_Deployment-Service.yaml", Expect.ok("deployment.apps/deployment configured", "service/deployment-service created"));
        e.put("000_3994_Job.yaml", Expect.ok("job.batch/job created"));
        // Order of the two causes differs from upstream (completions before template); substrings are order-free.
        e.put("000_4057_Job.yaml", Expect.fails("The Job \"job\" is invalid: ",
                "* spec.completions: Invalid value: 10: field is immutable",
                "* spec.template: Invalid value: core.PodTemplateSpec{"));
        e.put("000_4396_Deployment-Service.yaml", Expect.ok("deployment.apps/deployment-v1 created", "service/service-v1 created"));
        e.put("000_4478_Ingress.yaml", Expect.ok("ingress.networking.k8s.io/ingress created"));
        e.put("000_4567_Deployment-Service.yaml", Expect.ok("deployment.apps/deployment-v2 created", "service/service-v2 created"));
        e.put("000_4634_Ingress.yaml", Expect.ok("ingress.networking.k8s.io/ingress configured"));
        e.put("000_4732_Ingress.yaml", Expect.ok("ingress.networking.k8s.io/ingress configured"));
        e.put("000_4861_Namespace.yaml", Expect.ok("namespace/limit created"));
        e.put("000_4874_LimitRange.yaml", Expect.ok("limitrange/container-limit-range created"));
        e.put("000_4893_Pod.yaml", Expect.ok("pod/limited-pod created"));
        e.put("000_4985_Namespace-LimitRange-Pod.yaml", Expect.ok("namespace/limit-cpu created",
                "limitrange/limit-range-cpu created", "pod/node created"));
        e.put("000_5072_Namespace-LimitRange-Pod.yaml", Expect.ok("namespace/limit-min-max created",
                "limitrange/limit-range-min-max created", "pod/limit-pod-min-max created"));
        e.put("000_5269_List.yaml", Expect.fails("namespace/namespace-rq created", "resourcequota/rq created",
                "Error from server (Forbidden): error when creating \"", "pods \"pod-rq-over-cpu\" is forbidden: exceeded quota: rq, "
                        + "requested: requests.cpu=2, used: requests.cpu=0, limited: requests.cpu=1",
                "pods \"pod-rq-over-memory\" is forbidden: exceeded quota: rq, requested: requests.memory=110Mi, "
                        + "used: requests.memory=0, limited: requests.memory=100Mi"));
        e.put("000_5504_Pod.yaml", Expect.ok("pod/pod-volumes created"));
        e.put("000_5617_Pod.yaml", Expect.ok("pod/pod-volumes-dir created"));
        e.put("000_5659_Pod.yaml", Expect.ok("pod/pod-volumes-file created"));
        e.put("000_5749_Pod.yaml", Expect.ok("pod/volume-empty-dir created"));
        e.put("000_5861_PersistentVolume.yaml", Expect.ok("persistentvolume/persistent-host-volume created"));
        e.put("000_5922_PersistentVolumeClaim.yaml", Expect.ok("persistentvolumeclaim/persistent-host-volume-claim created"));
        e.put("000_5983_Pod.yaml", Expect.ok("pod/pod-with-persistent-volume-claim created"));
        e.put("000_6243_StorageClass.yaml", Expect.ok("storageclass.storage.k8s.io/empty-dir-storage-class created"));
        e.put("000_6253_PersistentVolume.yaml", Expect.ok("persistentvolume/pv-log created"));
        e.put("000_6295_Pod.yaml", Expect.ok("pod/app-log created"));
        e.put("000_6322_Service.yaml", Expect.ok("service/svc-log created"));
        e.put("000_6444_Pod.yaml", Expect.ok("pod/pod-with-environments created"));
        e.put("000_6505_ConfigMap.yaml", Expect.ok("configmap/configmap created"));
        e.put("000_6518_Pod.yaml", Expect.ok("pod/pod-with-configmap created"));
        e.put("000_6600_ConfigMap.yaml", Expect.ok("configmap/configmap-file created"));
        e.put("000_6756_Pod.yaml", Expect.ok("pod/pod-with-configmap-file created"));
        e.put("000_6916_Secret.yaml", Expect.ok("secret/secret-data created"));
        e.put("000_6927_Pod.yaml", Expect.ok("pod/pod-with-secret created"));
        e.put("000_7033_Pod.yaml", Expect.ok("pod/pod-with-secret-file created"));
        // `storage` is not a container resource (spec §3.6 #3).
        e.put("000_7197_Pod.yaml", Expect.fails("The Pod \"pod-with-downward\" is invalid: ",
                "* spec.containers[0].resources.limits[storage]: Invalid value: \"storage\": must be a standard resource for containers",
                "* spec.containers[0].resources.requests[storage]: Invalid value: \"storage\": must be a standard resource for containers"));
        e.put("000_7224_Pod.yaml", Expect.ok("pod/pod-with-downward created"));
        e.put("000_7335_Pod.yaml", Expect.ok("pod/pod-with-downward-volume created"));
        e.put("000_7484_Pod.yaml", Expect.ok("pod/pod-with-auth created"));
        e.put("000_7612_List.yaml", Expect.ok("namespace/ns-1 created", "namespace/ns-2 created",
                "serviceaccount/sa-1 created", "serviceaccount/sa-2 created", "pod/pod-1 created", "pod/pod-2 created"));
        e.put("000_7765_Role.yaml", Expect.ok("role.rbac.authorization.k8s.io/view-pod created"));
        e.put("000_7786_RoleBinding.yaml", Expect.ok("rolebinding.rbac.authorization.k8s.io/view-pod-rolebinding created"));
        e.put("002_0214_Pod.yaml", Expect.ok("pod/my-nginx-pod created"));
        e.put("002_0305_ReplicaSet.yaml", Expect.ok("replicaset.apps/replicaset-nginx created"));
        e.put("002_0396_Ingress.yaml", removed("ingress-example", "Ingress", "networking.k8s.io/v1beta1"));
        e.put("002_0434_Ingress.yaml", Expect.ok("ingress.networking.k8s.io/ingress-example2 created"));
        e.put("002_0521_Ingress.yaml", removed("ingress-example", "Ingress", "networking.k8s.io/v1beta1"));
        e.put("002_0565_Ingress.yaml", removed("ingress-example", "Ingress", "networking.k8s.io/v1beta1"));
        e.put("002_0601_Ingress.yaml", removed("ingress-example", "Ingress", "networking.k8s.io/v1beta1"));
        e.put("002_0685_Role.yaml", Expect.ok("role.rbac.authorization.k8s.io/service-reader created"));
        e.put("002_0720_RoleBinding.yaml", Expect.ok("rolebinding.rbac.authorization.k8s.io/service-reader-rolebinding created"));
        e.put("002_0746_ClusterRole.yaml", Expect.ok("clusterrole.rbac.authorization.k8s.io/nodes-reader created"));
        e.put("002_0843_ClusterRole.yaml", removed("api-url-access", "ClusterRole", "rbac.authorization.k8s.io/v1beta1"));
        // ServiceAccount admission: the named SA does not exist.
        e.put("002_0895_Pod.yaml", Expect.fails("Error from server (Forbidden): error when creating \"",
                "pods \"k8s-python-sdk\" is forbidden: error looking up service account default/alicek106: serviceaccount \"alicek106\" not found"));
        e.put("002_0986_Pod.yaml", Expect.ok("pod/nginx-toleration-test created"));
        // Malformed YAML (and a removed apiVersion): kubectl's own decoder fails first.
        e.put("002_1204_PodDisruptionBudget.yaml", Expect.fails("error converting YAML to JSON: yaml: line 7: did not find expected key"));
        e.put("002_1240_Pod.yaml", Expect.ok("pod/custom-scheduled-pod created"));
        e.put("002_1311_Deployment.yaml", Expect.ok("deployment.apps/deployment-history-limit created"));
        e.put("002_1342_Deployment.yaml", Expect.ok("deployment.apps/deployment-recreate created"));
        e.put("003_0971_PersistentVolume.yaml", Expect.ok("persistentvolume/pv0003 created"));
        e.put("003_1032_PersistentVolumeClaim.yaml", Expect.ok("persistentvolumeclaim/myclaim created"));
        e.put("003_1148_StorageClass.yaml", Expect.ok("storageclass.storage.k8s.io/low-latency created"));
        e.put("003_1204_StorageClass.yaml", Expect.ok("storageclass.storage.k8s.io/low-latency configured"));
        // Shell blocks, not YAML.
        e.put("003_1343_KubeletConfiguration.yaml", Expect.fails(
                "error converting YAML to JSON: yaml: line 3: mapping values are not allowed in this context"));
        e.put("003_1437_Pod.yaml", Expect.fails(
                "error converting YAML to JSON: yaml: line 2: mapping values are not allowed in this context"));
        e.put("004_0025_Pod.yaml", Expect.ok("pod/sample-node-app created"));
        e.put("004_0091_Pod.yaml", Expect.ok("pod/liveness-http created"));
        e.put("004_0123_Service.yaml", Expect.ok("service/sample-node-app created"));
        e.put("004_0148_Service.yaml", Expect.ok("service/sample-node-app configured"));
        e.put("004_0170_Service.yaml", Expect.ok("service/sample-node-app configured"));
        e.put("004_0236_Pod.yaml", Expect.ok("pod/sample-node-app configured"));
        e.put("004_0265_ReplicaSet.yaml", Expect.ok("replicaset.apps/sample-node-app created"));
        e.put("004_0346_Deployment.yaml", Expect.ok("deployment.apps/sample-node-app created"));
        // Fragment without name or selector: the server validates fields, so kubectl skips client-side validation and its
        // GET with an empty name fails first, as upstream.
        e.put("004_0368_Deployment.yaml", Expect.fails("error when retrieving current configuration of:",
                "Name: \"\", Namespace: \"default\"", "resource name may not be empty"));
        e.put("004_0413_Deployment.yaml", Expect.ok("deployment.apps/sample-node-app configured"));
    }

    /** KNOWN GAPS: files whose upstream outcome (above) kuberaft does not produce yet. Applied and printed, not asserted. */
    static final Set<String> KNOWN_GAPS = Set.of();

    @TempDir
    static Path tmp;
    Path dir;
    String kubeconfig;
    final List<String> gapReport = new ArrayList<>();

    record Result(int code, String out) {
    }

    static Result run(List<String> cmd, long timeoutS) throws IOException, InterruptedException {
        return run(cmd, Map.of(), timeoutS);
    }

    static Result run(List<String> cmd, Map<String, String> env, long timeoutS) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).directory(ROOT.toFile());
        pb.environment().put("KUBERAFT_NO_BUILD", "1");
        pb.environment().putAll(env);
        Path out = Files.createTempFile(tmp, "out-", ".txt");
        pb.redirectOutput(out.toFile());
        Process p = pb.start();
        if (!p.waitFor(timeoutS, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out after " + timeoutS + "s: " + cmd);
        }
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
    }

    Result kuberaft(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(ROOT.resolve("kuberaft").toString()));
        cmd.addAll(List.of(args));
        return run(cmd, 120);
    }

    Result kubectl(String... args) throws IOException, InterruptedException {
        return kubectlEnv(Map.of(), args);
    }

    Result kubectlEnv(Map<String, String> env, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(KUBECTL.toString(), "--kubeconfig", kubeconfig, "--request-timeout=20s"));
        cmd.addAll(List.of(args));
        return run(cmd, env, 30);
    }

    /** kubectl that must succeed; returns its output. */
    String ok(String... args) throws IOException, InterruptedException {
        Result r = kubectl(args);
        assertThat(r.code()).as("kubectl %s\n%s", String.join(" ", args), r.out()).isZero();
        return r.out();
    }

    static Path seedDir() {
        String shared = System.getProperty("kuberaft.shared");
        Path p = shared == null ? null : Path.of(shared, "manifests", "seed");
        if (p == null || !Files.isDirectory(p)) {
            p = ROOT.resolveSibling("shared").resolve("manifests").resolve("seed");
        }
        return p.toAbsolutePath().normalize();
    }

    @BeforeAll
    void up() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(KUBECTL),
                "SeedManifestsIT skipped: /usr/bin/kubectl is not installed (kubectl v1.32 is needed for the end-to-end seed test)");
        Assumptions.assumeTrue(Files.isDirectory(seedDir()), "SeedManifestsIT skipped: no seed manifests at " + seedDir());
        dir = tmp.resolve("cluster");
        Result up = kuberaft("up", "--dir", dir.toString());
        assertThat(up.code()).as(up.out()).isZero();
        kubeconfig = dir.resolve("kubeconfig").toString();
        assertThat(Path.of(kubeconfig)).exists();
    }

    @AfterAll
    void down() throws Exception {
        if (!gapReport.isEmpty()) {
            System.out.println("=== SeedManifestsIT KNOWN_GAPS (applied, not asserted; upstream 1.32 differs) ===");
            gapReport.forEach(System.out::println);
        }
        if (dir != null) {
            Result r = kuberaft("down", "--dir", dir.toString(), "--purge");
            System.out.println("down --purge: " + r.out().strip());
        }
    }

    @Test
    @Order(1)
    void applyEverySeedManifest() throws Exception {
        Set<String> files = new TreeSet<>();
        try (Stream<Path> s = Files.list(seedDir())) {
            s.filter(p -> p.getFileName().toString().endsWith(".yaml")).forEach(p -> files.add(p.getFileName().toString()));
        }
        assertThat(files).as("every seed manifest has an expectation in EXPECTED").isEqualTo(new TreeSet<>(EXPECTED.keySet()));
        List<String> failures = new ArrayList<>();
        for (String f : files) {
            Expect exp = EXPECTED.get(f);
            Result r = kubectl("apply", "-f", seedDir().resolve(f).toString());
            if (KNOWN_GAPS.contains(f)) {
                gapReport.add("--- " + f + " (exit " + r.code() + ")\n  got:      " + r.out().strip().replace("\n", "\n            ")
                        + "\n  upstream: " + String.join(" | ", exp.contains()));
                continue;
            }
            List<String> missing = exp.contains().stream().filter(s -> !r.out().contains(s)).toList();
            if ((r.code() == 0) != exp.ok() || !missing.isEmpty()) {
                failures.add(f + ": exit " + r.code() + " (expected " + (exp.ok() ? "0" : "non-zero") + "), missing "
                        + missing + "\n" + r.out());
            }
        }
        assertThat(failures).as("seed manifests whose apply output differs from upstream").isEmpty();
    }

    @Test
    @Order(2)
    void getDescribeAndFriendsMatchUpstream() throws Exception {
        // Idempotent re-apply and client-side diff of an unchanged object.
        assertThat(ok("apply", "-f", seedDir().resolve("000_6505_ConfigMap.yaml").toString()))
                .contains("configmap/configmap unchanged");
        Result diff = kubectl("diff", "-f", seedDir().resolve("000_6505_ConfigMap.yaml").toString());
        assertThat(diff.code()).as(diff.out()).isZero();
        assertThat(diff.out()).isEmpty();

        String all = ok("get", "all");
        assertThat(all).contains("service/kubernetes", "deployment.apps/sample-node-app", "replicaset.apps/app-server",
                "job.batch/job", "pod/app-node");

        String wide = ok("get", "po", "-o", "wide");
        assertThat(wide.lines().findFirst().orElse(""))
                .matches("NAME +READY +STATUS +RESTARTS +AGE +IP +NODE +NOMINATED NODE +READINESS GATES");
        assertThat(wide).containsPattern("(?m)^app-node +0/1 +Pending +0 +\\S+ +<none> +<none> +<none> +<none>$");

        assertThat(ok("get", "pods,svc")).contains("pod/proceed-1", "service/replicas-service");
        assertThat(ok("get", "pods", "-o", "jsonpath={.items[*].metadata.name}")).contains("proceed-1 proceed-2 proceed-3");
        assertThat(ok("get", "pods", "-o", "name").lines().toList()).contains("pod/app-node", "pod/sample-node-app");

        String labelCol = ok("get", "pods", "-L", "app");
        assertThat(labelCol.lines().findFirst().orElse("")).matches("NAME +READY +STATUS +RESTARTS +AGE +APP");
        assertThat(labelCol).containsPattern("(?m)^sample-node-app +0/1 +Pending +0 +\\S+ +sample-node-app$");

        // The seed ReplicaSet app-server selects app=node: as upstream, it adopts the bare app=node pods
        // (app-node, pod-volumes, pod-with-downward, ...) and deletes the newest beyond its 3 replicas, so
        // which of them remain is the controller's business; the selector must pick exactly the app=node pods.
        List<String> inNode = ok("get", "pods", "-l", "app in (node)", "-o", "name").lines().toList();
        assertThat(inNode).contains("pod/app-node").doesNotContain("pod/proceed-1", "pod/sample-node-app")
                .containsExactlyInAnyOrderElementsOf(ok("get", "pods", "-l", "app=node", "-o", "name").lines().toList());

        assertThat(ok("get", "pods", "--show-labels")).containsPattern("(?m)^app-node .* app=node$");

        String everywhere = ok("get", "pods", "-A");
        assertThat(everywhere.lines().findFirst().orElse("")).matches("NAMESPACE +NAME +READY +STATUS +RESTARTS +AGE");
        assertThat(everywhere).containsPattern("(?m)^user-namespace +app-node +0/1 +Pending");

        assertThat(ok("get", "svc", "svc-external-name")).containsPattern("svc-external-name +ExternalName +<none> +blog\\.yes24\\.com +80/TCP");
        assertThat(ok("get", "sc")).contains("low-latency (default)");
        assertThat(ok("get", "ep", "svc-endpoint")).contains("172.17.0.3:8080,172.17.0.4:8080");
        assertThat(ok("get", "ing")).containsPattern("ingress +<none> +v1\\.kim0lil\\.co\\.kr,v2\\.kim0lil\\.co\\.kr +80");

        String describe = ok("describe", "pod", "app-node");
        assertThat(describe).containsPattern("(?m)^Name: +app-node$").containsPattern("(?m)^Namespace: +default$")
                .containsPattern("(?m)^Status: +Pending$").containsPattern("(?m)^QoS Class: +BestEffort$")
                .contains("Image:        kim0lil/80700:v-1.0.0")
                // adopted by the seed ReplicaSet app-server; no nodes in this cluster, so the scheduler says so (aggregated)
                .containsPattern("(?m)^Controlled By: +ReplicaSet/app-server$")
                .containsPattern("(?m)^  Warning +FailedScheduling +\\S+.* +default-scheduler +no nodes available to schedule pods$");

        // label / annotate, with and without --overwrite.
        assertThat(ok("label", "pod", "app-node", "tier=web")).contains("pod/app-node labeled");
        Result again = kubectl("label", "pod", "app-node", "tier=db");
        assertThat(again.code()).isNotZero();
        assertThat(again.out()).contains("error: 'tier' already has a value (web), and --overwrite is false");
        assertThat(ok("label", "pod", "app-node", "tier=db", "--overwrite")).contains("pod/app-node labeled");
        assertThat(ok("annotate", "pod", "app-node", "note=a")).contains("pod/app-node annotated");
        assertThat(ok("annotate", "pod", "app-node", "note=b", "--overwrite")).contains("pod/app-node annotated");
        assertThat(ok("get", "pod", "app-node", "-o", "jsonpath={.metadata.labels.tier}/{.metadata.annotations.note}"))
                .isEqualTo("db/b");

        // patch, three types (each one a real change).
        assertThat(ok("patch", "pod", "app-node", "-p", "{\"metadata\":{\"labels\":{\"p\":\"s\"}}}")).contains("pod/app-node patched");
        assertThat(ok("patch", "pod", "app-node", "--type", "merge", "-p", "{\"metadata\":{\"labels\":{\"p\":\"m\"}}}"))
                .contains("pod/app-node patched");
        assertThat(ok("patch", "pod", "app-node", "--type", "json", "-p",
                "[{\"op\":\"add\",\"path\":\"/metadata/labels/j\",\"value\":\"x\"}]")).contains("pod/app-node patched");
        assertThat(ok("get", "pod", "app-node", "-o", "jsonpath={.metadata.labels.p}{.metadata.labels.j}")).isEqualTo("mx");

        // create, delete -l, delete --all.
        assertThat(ok("create", "namespace", "seed-qa")).contains("namespace/seed-qa created");
        Result dup = kubectl("create", "namespace", "seed-qa");
        assertThat(dup.out()).contains("Error from server (AlreadyExists): namespaces \"seed-qa\" already exists");
        assertThat(ok("create", "configmap", "cm1", "--from-literal=a=b", "-n", "seed-qa")).contains("configmap/cm1 created");
        assertThat(ok("create", "secret", "generic", "s1", "--from-literal=a=b", "-n", "seed-qa")).contains("secret/s1 created");
        assertThat(ok("create", "deployment", "web", "--image=nginx", "-n", "seed-qa")).contains("deployment.apps/web created");
        assertThat(ok("create", "serviceaccount", "sa9", "-n", "seed-qa")).contains("serviceaccount/sa9 created");
        assertThat(ok("delete", "pods", "-l", "app=liveness")).contains("pod \"liveness-http-get-healthy\" deleted",
                "pod \"liveness-http-get-unhealthy\" deleted");
        assertThat(ok("delete", "secret", "--all", "-n", "seed-qa")).contains("secret \"s1\" deleted");

        String resources = ok("api-resources");
        assertThat(resources.lines().findFirst().orElse("")).matches("NAME +SHORTNAMES +APIVERSION +NAMESPACED +KIND");
        assertThat(resources).containsPattern("(?m)^pods +po +v1 +true +Pod$")
                .containsPattern("(?m)^deployments +deploy +apps/v1 +true +Deployment$")
                .containsPattern("(?m)^ingresses +ing +networking\\.k8s\\.io/v1 +true +Ingress$");
        assertThat(ok("explain", "pod.spec")).contains("KIND:       Pod", "VERSION:    v1", "FIELD: spec <PodSpec>",
                "PodSpec is a description of a pod.", "containers\t<[]Container> -required-");

        assertThat(ok("apply", "--server-side", "-f", seedDir().resolve("000_6600_ConfigMap.yaml").toString()))
                .contains("configmap/configmap-file serverside-applied");

        // get -w: the watch is bounded by --request-timeout (kubectl then exits 0); it must see a later create.
        Path watchOut = Files.createTempFile(tmp, "watch-", ".txt");
        Process watch = new ProcessBuilder(KUBECTL.toString(), "--kubeconfig", kubeconfig, "--request-timeout=8s",
                "get", "configmaps", "-w").redirectErrorStream(true).redirectOutput(watchOut.toFile()).start();
        try {
            await("the watch's initial list", 8_000, () -> read(watchOut).contains("configmap-file"));
            assertThat(ok("create", "configmap", "watched-cm")).contains("configmap/watched-cm created");
            await("the watch event for watched-cm", 8_000, () -> read(watchOut).contains("watched-cm"));
        } finally {
            if (!watch.waitFor(15, TimeUnit.SECONDS)) {
                watch.destroyForcibly();
            }
        }
        assertThat(read(watchOut)).containsPattern("(?m)^NAME +DATA +AGE$").containsPattern("(?m)^watched-cm +0 +\\S+$");
    }

    @Test
    @Order(3)
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void theKubectlSessionWorksAgainAfterTheLeaderIsKilled() throws Exception {
        session("session-before");
        E2eCluster cluster = new E2eCluster(tmp);
        assertThat(cluster.dir).isEqualTo(dir);
        var leader = cluster.awaitLeader();
        long pid = cluster.masterPid(leader);
        E2eCluster.sigkill(pid);
        long killed = System.nanoTime();
        int[] failures = {0};
        // kubectl through the load balancer: the first calls may meet the dead replica (until the next health
        // check) or the election; every call after the first success must succeed.
        E2eCluster.await("a kubectl write after SIGKILL of leader " + leader.path("id").asText(), 30_000, () -> {
            Result r = kubectl("create", "configmap", "after-kill-probe", "--from-literal=k=v");
            if (r.code() != 0 && !r.out().contains("AlreadyExists")) {
                failures[0]++;
                return false;
            }
            return true;
        });
        System.out.printf("SeedManifestsIT: writes through kubectl resumed %d ms after SIGKILL of %s (%d failed calls before)%n",
                (System.nanoTime() - killed) / 1_000_000, leader.path("id").asText(), failures[0]);
        // What the seeds created survived the kill.
        assertThat(ok("get", "all")).contains("service/kubernetes", "deployment.apps/sample-node-app", "job.batch/job");
        assertThat(ok("get", "pod", "app-node", "-o", "jsonpath={.metadata.labels.tier}/{.metadata.annotations.note}"))
                .isEqualTo("db/b");
        session("session-after");
    }

    /**
     * Issue 5: the seeds' pods on nodes. Two simulated agents join the cluster the seeds were applied to (`up --agents 2`
     * on the running cluster); every pod must then reach what it reaches on upstream: Running and Ready, Succeeded
     * (Jobs, and the seeds' commands that end), or Pending because no node fits it (the scheduler says why) or because
     * it names a scheduler that does not run. None may stay in ContainerCreating or another waiting state.
     */
    @Test
    @Order(4)
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void theSeedsPodsRunOnTwoSimulatedNodes() throws Exception {
        // The seeds' volume pods again, in a namespace of their own (in default the seed ReplicaSet app-server adopts and
        // removes app=node pods, as upstream); the tutorial makes pod-with-secret-file's Secret from a directory.
        ok("create", "namespace", "seed-files");
        Path secretDir = Files.createDirectories(tmp.resolve("secret-file"));
        Files.writeString(secretDir.resolve("app.properties"), "app.user = admin\n");
        ok("create", "secret", "generic", "secret-file", "-n", "seed-files", "--from-file", secretDir.toString());
        for (String seed : List.of("000_7033_Pod.yaml", "000_7335_Pod.yaml")) {
            ok("apply", "-n", "seed-files", "-f", seedDir().resolve(seed).toString());
        }
        Result up = kuberaft("up", "--dir", dir.toString(), "--agents", "2");
        assertThat(up.code()).as(up.out()).isZero();
        // fields separated by '|': the scheduler's message and the waiting reasons (one per container) contain spaces
        String jsonpath = "{range .items[*]}{.metadata.namespace}/{.metadata.name}|{.metadata.deletionTimestamp}|{.status.phase}|"
                + "{.status.conditions[?(@.type==\"Ready\")].status}|{.status.conditions[?(@.type==\"PodScheduled\")].reason}|"
                + "{.spec.schedulerName}|{.status.containerStatuses[*].state.waiting.reason}|"
                + "{.status.conditions[?(@.type==\"PodScheduled\")].message}{\"\\n\"}{end}";
        List<String> stuck = new ArrayList<>();
        try {
            await("every seed pod Running and Ready, Succeeded, or unschedulable", 150_000, () -> {
                stuck.clear();
                Result pods = kubectl("get", "pods", "-A", "-o", "jsonpath=" + jsonpath);
                if (pods.code() != 0 || pods.out().isBlank()) {
                    stuck.add("kubectl get pods: exit " + pods.code() + " " + pods.out().strip());
                    return false; // an answer that lists nothing proves nothing
                }
                for (String line : pods.out().lines().toList()) {
                    String[] f = line.split("\\|", -1);
                    if (f.length < 8) {
                        continue;
                    }
                    boolean done = !f[1].isEmpty() // being deleted (a namespace of the session)
                            || (f[2].equals("Running") && f[3].equals("True")) || f[2].equals("Succeeded")
                            // unschedulable on the two nodes (not from before they joined: "no nodes available")
                            || (f[2].equals("Pending") && f[4].equals("Unschedulable") && f[7].startsWith("0/2 nodes are available"))
                            // a pod for a scheduler that does not run here waits, untouched, as upstream
                            || (f[2].equals("Pending") && !f[5].equals("default-scheduler"));
                    if (!done) {
                        stuck.add(line);
                    }
                }
                return stuck.isEmpty();
            });
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; pods not there yet (ns/name|deletion|phase|ready|scheduled|scheduler|waiting|message):\n"
                    + String.join("\n", stuck) + "\n" + ok("get", "pods", "-A", "-o", "wide"), e);
        }
        System.out.println("SeedManifestsIT: seed pods on two simulated nodes:\n" + ok("get", "pods", "-A", "-o", "wide"));
        // what the tutorials then look at in their pods: the volumes' files, through kubectl exec on simulated nodes
        assertThat(ok("exec", "-n", "seed-files", "pod-with-downward-volume", "--", "cat", "/env/labels"))
                .as("the kubelet writes no final newline").isEqualTo("app=\"node\"\nversion=\"1.0.0\"");
        // every pod's ServiceAccount volume (kube-api-access-*): the namespace's kube-root-ca.crt and a pod-bound token
        String sa = "/var/run/secrets/kubernetes.io/serviceaccount";
        assertThat(ok("exec", "-n", "seed-files", "pod-with-downward-volume", "--", "ls", sa)).isEqualTo("ca.crt\nnamespace\ntoken\n");
        assertThat(ok("exec", "-n", "seed-files", "pod-with-downward-volume", "--", "cat", sa + "/namespace")).isEqualTo("seed-files");
        assertThat(ok("exec", "-n", "seed-files", "pod-with-downward-volume", "--", "cat", sa + "/ca.crt"))
                .isEqualTo(ok("get", "configmap", "kube-root-ca.crt", "-n", "seed-files", "-o", "jsonpath={.data.ca\\.crt}"));
        assertThat(ok("exec", "-n", "seed-files", "pod-with-downward-volume", "--", "cat", sa + "/token")).matches("eyJ[\\w-]+\\.[\\w-]+\\.[\\w-]+");
        assertThat(ok("exec", "-n", "seed-files", "pod-with-secret-file", "--", "cat", "/etc/app.properties")).isEqualTo("app.user = admin\n");
        Result image = kubectl("exec", "-n", "seed-files", "pod-with-secret-file", "--", "cat", "/app/index.js");
        assertThat(image.code()).as(image.out()).isEqualTo(1);
        assertThat(image.out()).contains("cat: /app/index.js: not simulated", "command terminated with exit code 1");

        // The tutorials' one-shot pod: kubectl attaches to it (or reads its log once it has ended), prints what it said,
        // deletes it and exits with its exit code.
        Result once = kubectl("run", "say-once", "--rm", "-i", "--restart=Never", "--image=busybox", "--", "echo", "hello from run");
        assertThat(once.code()).as(once.out()).isZero();
        assertThat(once.out()).contains("hello from run\n", "pod \"say-once\" deleted");
        Result failing = kubectl("run", "fail-once", "--rm", "-i", "--restart=Never", "--image=busybox", "--", "sh", "-c", "echo bye; exit 3");
        assertThat(failing.code()).as(failing.out()).isEqualTo(3);
        assertThat(failing.out()).contains("bye\n", "pod default/fail-once terminated (Error)");
    }

    /**
     * The docs' "normal user" flow: a key and a CSR made here, `kubectl apply` of the CertificateSigningRequest,
     * `kubectl certificate approve`, the issued certificate in a kubeconfig user, and RBAC deciding what it may do.
     */
    @Test
    @Order(5)
    void aNormalUserGetsACertificateThroughACertificateSigningRequest() throws Exception {
        java.security.KeyPairGenerator gen = java.security.KeyPairGenerator.getInstance("RSA");
        gen.initialize(2048);
        java.security.KeyPair kp = gen.generateKeyPair();
        byte[] csr = new org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder(
                new org.bouncycastle.asn1.x500.X500Name("CN=myuser,O=dev-team"), kp.getPublic())
                .build(new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder("SHA256withRSA").build(kp.getPrivate())).getEncoded();
        java.util.Base64.Encoder mime = java.util.Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));
        String csrPem = "-----BEGIN CERTIFICATE REQUEST-----\n" + mime.encodeToString(csr) + "\n-----END CERTIFICATE REQUEST-----\n";
        Path key = tmp.resolve("myuser.key");
        Files.writeString(key, "-----BEGIN PRIVATE KEY-----\n" + mime.encodeToString(kp.getPrivate().getEncoded()) + "\n-----END PRIVATE KEY-----\n");
        Path manifest = tmp.resolve("csr.yaml");
        Files.writeString(manifest, "apiVersion: certificates.k8s.io/v1\nkind: CertificateSigningRequest\nmetadata:\n  name: myuser\nspec:\n"
                + "  request: " + java.util.Base64.getEncoder().encodeToString(csrPem.getBytes(StandardCharsets.US_ASCII)) + "\n"
                + "  signerName: kubernetes.io/kube-apiserver-client\n  expirationSeconds: 86400\n  usages:\n  - client auth\n");
        assertThat(ok("apply", "-f", manifest.toString())).contains("certificatesigningrequest.certificates.k8s.io/myuser created");
        assertThat(ok("get", "csr")).containsPattern("(?m)^NAME +AGE +SIGNERNAME +REQUESTOR +REQUESTEDDURATION +CONDITION$")
                .containsPattern("(?m)^myuser +\\S+ +kubernetes\\.io/kube-apiserver-client +admin +24h +Pending$");
        assertThat(ok("certificate", "approve", "myuser")).contains("certificatesigningrequest.certificates.k8s.io/myuser approved");
        await("the certificate issued", 30_000, () -> ok("get", "csr", "myuser").contains("Approved,Issued"));
        Path cert = tmp.resolve("myuser.crt");
        Files.write(cert, java.util.Base64.getDecoder().decode(ok("get", "csr", "myuser", "-o", "jsonpath={.status.certificate}").strip()));
        ok("create", "role", "developer", "--verb=get", "--verb=list", "--resource=pods");
        ok("create", "rolebinding", "developer-binding-myuser", "--role=developer", "--user=myuser");
        ok("config", "set-credentials", "myuser", "--client-key=" + key, "--client-certificate=" + cert, "--embed-certs=true");
        String cluster = ok("config", "view", "-o", "jsonpath={.clusters[0].name}").strip();
        ok("config", "set-context", "myuser", "--cluster=" + cluster, "--user=myuser");
        assertThat(ok("--context", "myuser", "auth", "whoami")).containsPattern("Username +myuser").contains("dev-team");
        assertThat(kubectl("--context", "myuser", "get", "pods").code()).isZero();
        Result svc = kubectl("--context", "myuser", "get", "services");
        assertThat(svc.code()).isNotZero();
        assertThat(svc.out()).contains("Error from server (Forbidden): services is forbidden: User \"myuser\" cannot list resource "
                + "\"services\" in API group \"\" in the namespace \"default\"");
    }

    /** One user's kubectl session in namespace {@code ns}: every command must succeed at its first attempt. */
    private void session(String ns) throws Exception {
        assertThat(ok("create", "namespace", ns)).contains("namespace/" + ns + " created");
        assertThat(ok("create", "deployment", "web", "--image=nginx", "--replicas=2", "-n", ns))
                .contains("deployment.apps/web created");
        assertThat(ok("scale", "deployment", "web", "--replicas=3", "-n", ns)).contains("deployment.apps/web scaled");
        await("3 pods of deployment web in " + ns, 60_000, () -> kubectl("get", "pods", "-n", ns, "-l", "app=web", "-o", "name")
                .out().lines().filter(l -> l.startsWith("pod/web-")).count() == 3);
        assertThat(ok("get", "deployment", "web", "-n", ns, "-o", "yaml"))
                .contains("kind: Deployment", "  replicas: 3", "  namespace: " + ns);
        assertThat(ok("get", "deployment", "web", "-n", ns, "-o", "json")).contains("\"kind\": \"Deployment\"", "\"replicas\": 3");
        assertThat(ok("get", "deployment", "web", "-n", ns, "-o", "wide").lines().findFirst().orElse(""))
                .matches("NAME +READY +UP-TO-DATE +AVAILABLE +AGE +CONTAINERS +IMAGES +SELECTOR");
        String rs = ok("get", "rs", "-n", ns, "-l", "app=web", "-o", "name").strip();
        assertThat(rs).startsWith("replicaset.apps/web-");
        // Events are recorded after the scale itself: describe until the scale-up to 3 shows ("from 0 to 3" when the
        // controller saw the Deployment only after the scale).
        java.util.regex.Pattern scaled = java.util.regex.Pattern.compile(
                "(?m)^  Normal +ScalingReplicaSet +\\S+ +deployment-controller +Scaled up replica set web-\\S+ from [02] to 3$");
        String[] describe = {""};
        try {
            await("the ScalingReplicaSet event in describe deployment web -n " + ns, 60_000,
                    () -> scaled.matcher(describe[0] = ok("describe", "deployment", "web", "-n", ns)).find());
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\n" + describe[0] + "\nkubectl get events -n " + ns + ":\n"
                    + kubectl("get", "events", "-n", ns).out(), e);
        }
        assertThat(describe[0]).containsPattern("(?m)^Replicas: +3 desired \\| 3 updated \\| 3 total \\| 0 available \\| 3 unavailable$")
                .containsPattern("(?m)^StrategyType: +RollingUpdate$");

        // edit (KUBE_EDITOR), label/annotate --overwrite, and the three patch types on a ConfigMap.
        assertThat(ok("create", "configmap", "cm", "--from-literal=a=b", "-n", ns)).contains("configmap/cm created");
        Path editor = Files.createTempFile(tmp, "editor-", ".sh");
        Files.writeString(editor, "#!/bin/sh\nsed -i 's/^  a: b$/  a: edited/' \"$1\"\n");
        editor.toFile().setExecutable(true);
        Result edited = kubectlEnv(Map.of("KUBE_EDITOR", editor.toString()), "edit", "configmap", "cm", "-n", ns);
        assertThat(edited.code()).as(edited.out()).isZero();
        assertThat(edited.out()).contains("configmap/cm edited");
        assertThat(ok("label", "configmap", "cm", "tier=web", "-n", ns)).contains("configmap/cm labeled");
        assertThat(ok("label", "configmap", "cm", "tier=db", "--overwrite", "-n", ns)).contains("configmap/cm labeled");
        assertThat(ok("annotate", "configmap", "cm", "note=b", "--overwrite", "-n", ns)).contains("configmap/cm annotated");
        assertThat(ok("patch", "configmap", "cm", "-n", ns, "-p", "{\"data\":{\"s\":\"1\"}}")).contains("configmap/cm patched");
        assertThat(ok("patch", "configmap", "cm", "-n", ns, "--type", "merge", "-p", "{\"data\":{\"m\":\"2\"}}"))
                .contains("configmap/cm patched");
        assertThat(ok("patch", "configmap", "cm", "-n", ns, "--type", "json", "-p",
                "[{\"op\":\"replace\",\"path\":\"/data/s\",\"value\":\"3\"}]")).contains("configmap/cm patched");
        assertThat(ok("get", "configmap", "cm", "-n", ns, "-o",
                "jsonpath={.data.a}/{.data.s}/{.data.m}/{.metadata.labels.tier}/{.metadata.annotations.note}"))
                .isEqualTo("edited/3/2/db/b");

        // diff of a changed object (exit 1 and a unified diff), then server-side apply of it.
        Path changed = Files.createTempFile(tmp, "cm-", ".yaml");
        Files.writeString(changed, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\n  namespace: " + ns
                + "\ndata:\n  a: one\n");
        assertThat(ok("apply", "--server-side", "-f", changed.toString())).contains("configmap/applied serverside-applied");
        Files.writeString(changed, Files.readString(changed).replace("a: one", "a: two"));
        Result diff = kubectl("diff", "-f", changed.toString());
        assertThat(diff.code()).as(diff.out()).isEqualTo(1);
        assertThat(diff.out()).contains("-  a: one", "+  a: two");
        assertThat(ok("apply", "--server-side", "-f", changed.toString())).contains("configmap/applied serverside-applied");
        assertThat(ok("get", "configmap", "applied", "-n", ns, "-o", "jsonpath={.data.a}")).isEqualTo("two");

        assertThat(ok("explain", "pod.spec.containers.livenessProbe")).contains("FIELD: livenessProbe <Probe>",
                "Probe describes a health check", "initialDelaySeconds");

        // Cascading deletes: orphan keeps the ReplicaSet (its owner reference removed), foreground takes the pods first.
        assertThat(ok("delete", "deployment", "web", "-n", ns, "--cascade=orphan")).contains("deployment.apps \"web\" deleted");
        await("ReplicaSet " + rs + " orphaned", 30_000, () -> {
            Result r = kubectl("get", rs, "-n", ns, "-o", "jsonpath={.metadata.ownerReferences}");
            return r.code() == 0 && r.out().isBlank();
        });
        assertThat(ok("delete", rs, "-n", ns, "--cascade=foreground")).contains(rs.replace("replicaset.apps/", "replicaset.apps \"") + "\" deleted");
        await("the pods of " + rs + " deleted", 60_000, () -> kubectl("get", "pods", "-n", ns, "-l", "app=web", "-o", "name").out().isBlank());

        // get -w, bounded by --request-timeout, sees a create made while it watches.
        Path watchOut = Files.createTempFile(tmp, "watch-", ".txt");
        Process watch = new ProcessBuilder(KUBECTL.toString(), "--kubeconfig", kubeconfig, "--request-timeout=8s",
                "get", "configmaps", "-w", "-n", ns).redirectErrorStream(true).redirectOutput(watchOut.toFile()).start();
        try {
            await("the watch's initial list in " + ns, 8_000, () -> read(watchOut).contains("applied"));
            assertThat(ok("create", "configmap", "watched", "-n", ns)).contains("configmap/watched created");
            await("the watch event for watched in " + ns, 8_000, () -> read(watchOut).contains("watched"));
        } finally {
            if (!watch.waitFor(15, TimeUnit.SECONDS)) {
                watch.destroyForcibly();
            }
        }
        assertThat(ok("delete", "namespace", ns, "--wait=false")).contains("namespace \"" + ns + "\" deleted");
    }

    static String read(Path p) {
        try {
            return Files.readString(p, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    static void await(String what, long timeoutMs, E2eCluster.Check cond) throws Exception {
        E2eCluster.await(what, timeoutMs, cond);
    }
}
