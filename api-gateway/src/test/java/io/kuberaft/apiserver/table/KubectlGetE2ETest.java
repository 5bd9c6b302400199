package io.kuberaft.apiserver.table;

import io.kuberaft.apiserver.ApiServer;
import io.kuberaft.raftstore.ClusterView;
import io.kuberaft.raftstore.LocalKvStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The real kubectl against an in-process server: objects are applied from YAML on stdin, their
 * status is set through the status subresource, and {@code kubectl get} must print upstream's columns.
 */
class KubectlGetE2ETest {
    private static final Path KUBECTL = Path.of("/usr/bin/kubectl");

    @TempDir
    static Path tmp;
    private static LocalKvStore store;
    private static ApiServer server;
    private static Path home;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(Files.isExecutable(KUBECTL), "skipped: " + KUBECTL + " is not installed, so kubectl's output cannot be checked");
        store = new LocalKvStore(tmp.resolve("store"));
        ClusterView view = ClusterView.standalone("m1", () -> 0);
        server = ApiServer.start(ApiServer.Options.plain("127.0.0.1", 0), store, view, new SimpleMeterRegistry(), () -> "");
        home = Files.createDirectories(tmp.resolve("home"));
        Files.writeString(home.resolve("kubeconfig"), "");

        apply("""
                apiVersion: v1
                kind: Namespace
                metadata: {name: default}
                ---
                apiVersion: v1
                kind: Node
                metadata:
                  name: minikube
                  labels:
                    kubernetes.io/hostname: minikube
                    node-role.kubernetes.io/control-plane: ""
                    node-role.kubernetes.io/master: ""
                ---
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: deployment, namespace: default}
                spec:
                  replicas: 3
                  selector: {matchLabels: {app: node}}
                  template:
                    metadata: {labels: {app: node}}
                    spec:
                      containers:
                      - name: node
                        image: kim0lil/80700:v-1.0.0
                        ports: [{containerPort: 8080}]
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: app-service, namespace: default}
                spec:
                  type: ClusterIP
                  clusterIP: 10.96.100.10
                  clusterIPs: [10.96.100.10]
                  selector: {app: node}
                  ports:
                  - {name: http, port: 80, targetPort: 8080, protocol: TCP}
                  - {name: metrics, port: 8090, targetPort: 8090, protocol: TCP}
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: node-port, namespace: default}
                spec:
                  type: NodePort
                  clusterIP: 10.96.100.11
                  clusterIPs: [10.96.100.11]
                  selector: {app: node}
                  ports: [{port: 80, targetPort: 8080, nodePort: 32700, protocol: TCP}]
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: app-node, namespace: default, labels: {app: node}}
                spec:
                  nodeName: minikube
                  containers: [{name: node, image: "kim0lil/80700:v-1.0.0"}]
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: crashy, namespace: default}
                spec:
                  nodeName: minikube
                  containers: [{name: node, image: "kim0lil/80700:v-bad"}]
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: waiting, namespace: default}
                spec:
                  containers: [{name: node, image: "kim0lil/80700:v-1.0.0"}]
                ---
                apiVersion: storage.k8s.io/v1
                kind: StorageClass
                metadata:
                  name: standard
                  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
                provisioner: k8s.io/minikube-hostpath
                ---
                apiVersion: rbac.authorization.k8s.io/v1
                kind: Role
                metadata: {name: view-pod, namespace: default}
                rules: [{apiGroups: [""], resources: [pods], verbs: [get, list]}]
                ---
                apiVersion: rbac.authorization.k8s.io/v1
                kind: RoleBinding
                metadata: {name: view-pod-rolebinding, namespace: default}
                roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: view-pod}
                subjects: [{kind: ServiceAccount, name: sa-1, namespace: ns-1}]
                ---
                apiVersion: batch/v1
                kind: CronJob
                metadata: {name: cronjob, namespace: default}
                spec:
                  schedule: "* * * * *"
                  jobTemplate:
                    spec:
                      template:
                        spec:
                          restartPolicy: OnFailure
                          containers: [{name: job, image: busybox}]
                """);
        patchStatus("node", "minikube", """
                {"status": {"conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}],
                  "addresses": [{"type": "InternalIP", "address": "192.168.49.2"}, {"type": "Hostname", "address": "minikube"}],
                  "nodeInfo": {"kubeletVersion": "v1.32.4", "osImage": "Ubuntu 22.04.4 LTS", "kernelVersion": "6.5.0",
                    "containerRuntimeVersion": "containerd://1.7.15", "architecture": "amd64", "operatingSystem": "linux",
                    "bootID": "", "machineID": "", "systemUUID": "", "kubeProxyVersion": ""}}}""");
        kubectl(List.of("patch", "node", "minikube", "--type=merge", "-p", "{\"spec\":{\"unschedulable\":true}}"), null);
        patchStatus("pod", "app-node", """
                {"status": {"phase": "Running", "podIP": "172.17.0.3", "podIPs": [{"ip": "172.17.0.3"}],
                  "conditions": [{"type": "Ready", "status": "True"}],
                  "containerStatuses": [{"name": "node", "ready": true, "restartCount": 0, "image": "x", "imageID": "",
                    "state": {"running": {"startedAt": "%s"}}}]}}""".formatted(Instant.now().minusSeconds(5)));
        patchStatus("pod", "crashy", """
                {"status": {"phase": "Running", "podIP": "172.17.0.4", "podIPs": [{"ip": "172.17.0.4"}],
                  "containerStatuses": [{"name": "node", "ready": false, "restartCount": 2, "image": "x", "imageID": "",
                    "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                    "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": "%s"}}}]}}"""
                .formatted(Instant.now().minusSeconds(43).toString().replaceAll("\\.\\d+Z$", "Z")));
        patchStatus("deployment", "deployment", """
                {"status": {"replicas": 3, "updatedReplicas": 3, "readyReplicas": 3, "availableReplicas": 3}}""");
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
        if (store != null) {
            store.close();
        }
    }

    @Test
    void getPods() throws Exception {
        List<String> lines = get("pods");
        assertThat(lines.get(0)).matches("NAME\\s+READY\\s+STATUS\\s+RESTARTS\\s+AGE");
        assertThat(line(lines, "app-node")).matches("app-node\\s+1/1\\s+Running\\s+0\\s+\\d+s");
        assertThat(line(lines, "crashy")).matches("crashy\\s+0/1\\s+CrashLoopBackOff\\s+2 \\(\\S+ ago\\)\\s+\\d+s");
        assertThat(line(lines, "waiting")).matches("waiting\\s+0/1\\s+Pending\\s+0\\s+\\d+s");
    }

    @Test
    void getPodsWide() throws Exception {
        List<String> lines = get("pods", "-o", "wide");
        assertThat(lines.get(0)).matches("NAME\\s+READY\\s+STATUS\\s+RESTARTS\\s+AGE\\s+IP\\s+NODE\\s+NOMINATED NODE\\s+READINESS GATES");
        assertThat(line(lines, "app-node"))
                .matches("app-node\\s+1/1\\s+Running\\s+0\\s+\\d+s\\s+172\\.17\\.0\\.3\\s+minikube\\s+<none>\\s+<none>");
        assertThat(line(lines, "waiting"))
                .matches("waiting\\s+0/1\\s+Pending\\s+0\\s+\\d+s\\s+<none>\\s+<none>\\s+<none>\\s+<none>");
    }

    @Test
    void getDeployments() throws Exception {
        List<String> lines = get("deploy");
        assertThat(lines.get(0)).matches("NAME\\s+READY\\s+UP-TO-DATE\\s+AVAILABLE\\s+AGE");
        assertThat(line(lines, "deployment")).matches("deployment\\s+3/3\\s+3\\s+3\\s+\\d+s");
        List<String> wide = get("deploy", "-o", "wide");
        assertThat(wide.get(0)).matches("NAME\\s+READY\\s+UP-TO-DATE\\s+AVAILABLE\\s+AGE\\s+CONTAINERS\\s+IMAGES\\s+SELECTOR");
        assertThat(line(wide, "deployment")).matches("deployment\\s+3/3\\s+3\\s+3\\s+\\d+s\\s+node\\s+kim0lil/80700:v-1\\.0\\.0\\s+app=node");
    }

    @Test
    void getServices() throws Exception {
        List<String> lines = get("svc");
        assertThat(lines.get(0)).matches("NAME\\s+TYPE\\s+CLUSTER-IP\\s+EXTERNAL-IP\\s+PORT\\(S\\)\\s+AGE");
        assertThat(line(lines, "app-service"))
                .matches("app-service\\s+ClusterIP\\s+10\\.96\\.100\\.10\\s+<none>\\s+80/TCP,8090/TCP\\s+\\d+s");
        assertThat(line(lines, "node-port")).matches("node-port\\s+NodePort\\s+10\\.96\\.100\\.11\\s+<none>\\s+80:32700/TCP\\s+\\d+s");
    }

    @Test
    void getNodes() throws Exception {
        List<String> lines = get("nodes");
        assertThat(lines.get(0)).matches("NAME\\s+STATUS\\s+ROLES\\s+AGE\\s+VERSION");
        assertThat(line(lines, "minikube"))
                .matches("minikube\\s+Ready,SchedulingDisabled\\s+control-plane,master\\s+\\d+s\\s+v1\\.32\\.4");
        List<String> wide = get("nodes", "-o", "wide");
        assertThat(wide.get(0)).matches("NAME\\s+STATUS\\s+ROLES\\s+AGE\\s+VERSION\\s+INTERNAL-IP\\s+EXTERNAL-IP\\s+OS-IMAGE"
                + "\\s+KERNEL-VERSION\\s+CONTAINER-RUNTIME");
        assertThat(line(wide, "minikube")).matches("minikube\\s+Ready,SchedulingDisabled\\s+control-plane,master\\s+\\d+s"
                + "\\s+v1\\.32\\.4\\s+192\\.168\\.49\\.2\\s+<none>\\s+Ubuntu 22\\.04\\.4 LTS\\s+6\\.5\\.0\\s+containerd://1\\.7\\.15");
    }

    @Test
    void getStorageClassesRolesBindingsAndCronJobs() throws Exception {
        List<String> sc = get("storageclass");
        assertThat(sc.get(0)).matches("NAME\\s+PROVISIONER\\s+RECLAIMPOLICY\\s+VOLUMEBINDINGMODE\\s+ALLOWVOLUMEEXPANSION\\s+AGE");
        assertThat(line(sc, "standard")).matches("standard \\(default\\)\\s+k8s\\.io/minikube-hostpath\\s+Delete\\s+Immediate\\s+false\\s+\\d+s");
        List<String> roles = get("role");
        assertThat(roles.get(0)).matches("NAME\\s+CREATED AT");
        assertThat(line(roles, "view-pod")).matches("view-pod\\s+\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");
        List<String> bindings = get("rolebinding", "-o", "wide");
        assertThat(bindings.get(0)).matches("NAME\\s+ROLE\\s+AGE\\s+USERS\\s+GROUPS\\s+SERVICEACCOUNTS");
        assertThat(line(bindings, "view-pod-rolebinding")).matches("view-pod-rolebinding\\s+Role/view-pod\\s+\\d+s\\s+ns-1/sa-1");
        List<String> cronjobs = get("cronjob");
        assertThat(cronjobs.get(0)).matches("NAME\\s+SCHEDULE\\s+TIMEZONE\\s+SUSPEND\\s+ACTIVE\\s+LAST SCHEDULE\\s+AGE");
        assertThat(line(cronjobs, "cronjob")).matches("cronjob\\s+\\* \\* \\* \\* \\*\\s+<none>\\s+False\\s+0\\s+<none>\\s+\\d+s");
    }

    // ---- kubectl --------------------------------------------------------------------------------------

    private static List<String> get(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("get"));
        cmd.addAll(List.of(args));
        String out = kubectl(cmd, null);
        System.out.println("$ kubectl " + String.join(" ", cmd) + "\n" + out);
        return out.lines().toList();
    }

    private static String line(List<String> lines, String name) {
        return lines.stream().filter(l -> l.startsWith(name + " ")).findFirst()
                .orElseThrow(() -> new AssertionError("no row for " + name + " in:\n" + String.join("\n", lines)));
    }

    private static void apply(String yaml) throws Exception {
        kubectl(List.of("apply", "--validate=false", "-f", "-"), yaml);
    }

    private static void patchStatus(String kind, String name, String patch) throws Exception {
        kubectl(List.of("patch", kind, name, "--subresource=status", "--type=merge", "-p", patch), null);
    }

    private static String kubectl(List<String> args, String stdin) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(KUBECTL.toString(), "--server", "http://127.0.0.1:" + server.port(),
                "--namespace", "default"));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(false);
        Map<String, String> env = pb.environment();
        env.put("HOME", home.toString());
        env.put("KUBECONFIG", home.resolve("kubeconfig").toString());
        Path err = Files.createTempFile(tmp, "kubectl", ".err");
        pb.redirectError(err.toFile());
        Process p = pb.start();
        if (stdin != null) {
            p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("kubectl " + args + " timed out");
        }
        String stdout = new String(out, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new AssertionError("kubectl " + args + " exited " + p.exitValue() + "\nstdout:\n" + stdout
                    + "\nstderr:\n" + Files.readString(err));
        }
        return stdout;
    }
}
