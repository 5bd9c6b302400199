package io.kuberaft.apiserver.table;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static io.kuberaft.apiserver.table.Fixtures.ago;
import static io.kuberaft.apiserver.table.Fixtures.row;
import static io.kuberaft.apiserver.table.Fixtures.yaml;
import static org.assertj.core.api.Assertions.assertThat;

class PodTableTest {
    private static final TableConvertor PODS = BuiltinTables.forKind("", "Pod");

    /** The seed's app-node pod (000:183), scheduled on minikube and running. */
    private static ObjectNode runningPod() {
        return yaml("""
                apiVersion: v1
                kind: Pod
                metadata:
                  name: app-node
                  creationTimestamp: "%s"
                  labels: {app: node}
                spec:
                  nodeName: minikube
                  containers:
                  - name: node
                    image: kim0lil/80700:v-1.0.0
                status:
                  phase: Running
                  podIP: 172.17.0.3
                  podIPs: [{ip: 172.17.0.3}]
                  conditions:
                  - {type: Initialized, status: "True"}
                  - {type: Ready, status: "True"}
                  containerStatuses:
                  - name: node
                    ready: true
                    restartCount: 0
                    state: {running: {startedAt: "%s"}}
                """.formatted(ago(447), ago(440)));
    }

    @Test
    void columnsAreUpstreams() {
        assertThat(Fixtures.normalColumnNames(PODS)).containsExactly("Name", "Ready", "Status", "Restarts", "Age");
        assertThat(Fixtures.columnNames(PODS)).containsExactly("Name", "Ready", "Status", "Restarts", "Age",
                "IP", "Node", "Nominated Node", "Readiness Gates");
        TableConvertor.Column name = PODS.columns().get(0);
        assertThat(name.format()).isEqualTo("name");
        assertThat(name.description()).startsWith("Name must be unique within a namespace. Is required when creating");
        assertThat(PODS.columns().get(3).type()).isEqualTo("string");
        assertThat(PODS.columns().get(5).description())
                .isEqualTo("podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.");
    }

    @Test
    void runningPod_readyOneOfOne_andWideCells() {
        assertThat(row(PODS, runningPod())).containsExactly(
                Map.entry("Name", "app-node"), Map.entry("Ready", "1/1"), Map.entry("Status", "Running"),
                Map.entry("Restarts", "0"), Map.entry("Age", "7m27s"), Map.entry("IP", "172.17.0.3"),
                Map.entry("Node", "minikube"), Map.entry("Nominated Node", "<none>"),
                Map.entry("Readiness Gates", "<none>"));
    }

    @Test
    void freshPodWithoutStatus_isPendingWithNoneWideCells() {
        ObjectNode pod = yaml("""
                metadata: {name: fresh, creationTimestamp: "%s"}
                spec:
                  containers: [{name: a, image: x}, {name: b, image: y}]
                """.formatted(ago(3)));
        Map<String, Object> r = row(PODS, pod);
        assertThat(r).containsEntry("Ready", "0/2").containsEntry("Status", "Pending").containsEntry("Restarts", "0")
                .containsEntry("Age", "3s").containsEntry("IP", "<none>").containsEntry("Node", "<none>");
    }

    @Test
    void containerCreating_fromWaitingReason() {
        ObjectNode pod = yaml("""
                metadata: {name: p}
                spec: {nodeName: minikube, containers: [{name: node, image: x}]}
                status:
                  phase: Pending
                  containerStatuses:
                  - name: node
                    ready: false
                    restartCount: 0
                    state: {waiting: {reason: ContainerCreating}}
                """);
        assertThat(row(PODS, pod)).containsEntry("Ready", "0/1").containsEntry("Status", "ContainerCreating")
                .containsEntry("Age", "<unknown>");
    }

    @Test
    void crashLoopBackOff_withRestartsAndLastRestartAge() {
        ObjectNode pod = yaml("""
                metadata: {name: p, creationTimestamp: "%s"}
                spec: {containers: [{name: node, image: x}]}
                status:
                  phase: Running
                  containerStatuses:
                  - name: node
                    ready: false
                    restartCount: 2
                    state: {waiting: {reason: CrashLoopBackOff, message: back-off}}
                    lastState: {terminated: {exitCode: 1, reason: Error, finishedAt: "%s"}}
                """.formatted(ago(200), ago(43)));
        assertThat(row(PODS, pod)).containsEntry("Ready", "0/1").containsEntry("Status", "CrashLoopBackOff")
                .containsEntry("Restarts", "2 (43s ago)");
    }

    @Test
    void restartsWithoutATerminationTime_areJustTheCount() {
        ObjectNode pod = runningPod();
        ((ObjectNode) pod.path("status").path("containerStatuses").get(0)).put("restartCount", 1);
        assertThat(row(PODS, pod)).containsEntry("Restarts", "1").containsEntry("Status", "Running");
    }

    @Test
    void completedJobPod_readyZeroOfOne_andCompletedRowCondition() {
        ObjectNode pod = yaml("""
                metadata: {name: job-tb4xt}
                spec: {containers: [{name: job, image: busybox}]}
                status:
                  phase: Succeeded
                  containerStatuses:
                  - name: job
                    ready: false
                    restartCount: 0
                    state: {terminated: {exitCode: 0, reason: Completed}}
                """);
        assertThat(row(PODS, pod)).containsEntry("Ready", "0/1").containsEntry("Status", "Completed");
        assertThat(PODS.conditions(pod)).containsExactly(new TableConvertor.RowCondition("Completed", "True",
                "Succeeded", "The pod has completed successfully."));
        assertThat(PODS.conditions(runningPod())).isEmpty();
    }

    @Test
    void terminatedWithoutReason_showsExitCodeOrSignal() {
        ObjectNode pod = yaml("""
                metadata: {name: p}
                spec: {containers: [{name: a, image: x}, {name: b, image: x}]}
                status:
                  phase: Failed
                  containerStatuses:
                  - {name: a, ready: false, state: {terminated: {exitCode: 137, signal: 9}}}
                  - {name: b, ready: false, state: {terminated: {exitCode: 3}}}
                """);
        // statuses are read last to first, so the first container's state wins
        assertThat(row(PODS, pod)).containsEntry("Status", "Signal:9");
        ((ObjectNode) pod.path("status").path("containerStatuses").get(0).path("state").path("terminated")).remove("signal");
        assertThat(row(PODS, pod)).containsEntry("Status", "ExitCode:137");
    }

    @Test
    void deletionTimestamp_makesARunningPodTerminating() {
        ObjectNode pod = runningPod();
        ((ObjectNode) pod.path("metadata")).put("deletionTimestamp", ago(1));
        assertThat(row(PODS, pod)).containsEntry("Status", "Terminating").containsEntry("Ready", "1/1");
    }

    @Test
    void deletionTimestamp_keepsAFinishedPodsStatus_andNodeLostIsUnknown() {
        ObjectNode done = yaml("""
                metadata: {name: p, deletionTimestamp: "2024-05-01T11:59:00Z"}
                spec: {containers: [{name: a, image: x}]}
                status:
                  phase: Succeeded
                  containerStatuses: [{name: a, ready: false, state: {terminated: {exitCode: 0, reason: Completed}}}]
                """);
        assertThat(row(PODS, done)).containsEntry("Status", "Completed");
        ObjectNode lost = runningPod();
        ((ObjectNode) lost.path("metadata")).put("deletionTimestamp", ago(1));
        ((ObjectNode) lost.path("status")).put("reason", "NodeLost");
        assertThat(row(PODS, lost)).containsEntry("Status", "Unknown");
    }

    @Test
    void podReason_overridesPhase() {
        ObjectNode pod = yaml("""
                metadata: {name: p}
                spec: {containers: [{name: a, image: x}]}
                status: {phase: Failed, reason: Evicted}
                """);
        assertThat(row(PODS, pod)).containsEntry("Status", "Evicted");
    }

    @Test
    void schedulingGated() {
        ObjectNode pod = yaml("""
                metadata: {name: p}
                spec: {containers: [{name: a, image: x}], schedulingGates: [{name: g}]}
                status:
                  phase: Pending
                  conditions: [{type: PodScheduled, status: "False", reason: SchedulingGated}]
                """);
        assertThat(row(PODS, pod)).containsEntry("Status", "SchedulingGated");
    }

    private static ObjectNode initPod(String initStatuses, String conditions) {
        return yaml("""
                metadata: {name: p}
                spec:
                  initContainers: [{name: init-a, image: x}, {name: init-b, image: x}]
                  containers: [{name: app, image: x}]
                status:
                  phase: Pending
                  conditions: %s
                  initContainerStatuses: %s
                  containerStatuses:
                  - {name: app, ready: false, restartCount: 0, state: {waiting: {reason: PodInitializing}}}
                """.formatted(conditions, initStatuses));
    }

    @Test
    void initContainers_progressAsInitXOfY() {
        ObjectNode first = initPod("""
                [{name: init-a, ready: false, restartCount: 0, state: {running: {}}},
                 {name: init-b, ready: false, restartCount: 0, state: {waiting: {reason: PodInitializing}}}]""", "[]");
        assertThat(row(PODS, first)).containsEntry("Status", "Init:0/2").containsEntry("Ready", "0/1");
        ObjectNode second = initPod("""
                [{name: init-a, ready: false, restartCount: 0, state: {terminated: {exitCode: 0, reason: Completed}}},
                 {name: init-b, ready: false, restartCount: 0, state: {running: {}}}]""", "[]");
        assertThat(row(PODS, second)).containsEntry("Status", "Init:1/2");
    }

    @Test
    void initContainerFailures_arePrefixedWithInit() {
        ObjectNode crash = initPod("""
                [{name: init-a, ready: false, restartCount: 3, state: {waiting: {reason: CrashLoopBackOff}},
                  lastState: {terminated: {exitCode: 1, finishedAt: "%s"}}},
                 {name: init-b, ready: false, restartCount: 0, state: {waiting: {reason: PodInitializing}}}]"""
                .formatted(ago(10)), "[]");
        assertThat(row(PODS, crash)).containsEntry("Status", "Init:CrashLoopBackOff")
                .containsEntry("Restarts", "3 (10s ago)");
        ObjectNode error = initPod("""
                [{name: init-a, ready: false, state: {terminated: {exitCode: 1, reason: Error}}}]""", "[]");
        assertThat(row(PODS, error)).containsEntry("Status", "Init:Error");
        ObjectNode exit = initPod("""
                [{name: init-a, ready: false, state: {terminated: {exitCode: 2}}}]""", "[]");
        assertThat(row(PODS, exit)).containsEntry("Status", "Init:ExitCode:2");
    }

    @Test
    void initializedPod_countsOnlyAppContainers() {
        ObjectNode pod = yaml("""
                metadata: {name: p}
                spec:
                  initContainers: [{name: init-a, image: x}]
                  containers: [{name: app, image: x}]
                status:
                  phase: Running
                  conditions: [{type: Initialized, status: "True"}, {type: Ready, status: "True"}]
                  initContainerStatuses:
                  - {name: init-a, ready: false, restartCount: 4, state: {terminated: {exitCode: 0, reason: Completed}}}
                  containerStatuses:
                  - {name: app, ready: true, restartCount: 1, state: {running: {}}}
                """);
        assertThat(row(PODS, pod)).containsEntry("Status", "Running").containsEntry("Ready", "1/1")
                .containsEntry("Restarts", "1");
    }

    @Test
    void sidecarInitContainers_countInReady() {
        ObjectNode pod = yaml("""
                metadata: {name: p}
                spec:
                  initContainers: [{name: proxy, image: x, restartPolicy: Always}]
                  containers: [{name: app, image: x}]
                status:
                  phase: Running
                  conditions: [{type: Initialized, status: "True"}, {type: Ready, status: "True"}]
                  initContainerStatuses:
                  - {name: proxy, ready: true, started: true, restartCount: 2, state: {running: {}}}
                  containerStatuses:
                  - {name: app, ready: true, restartCount: 0, state: {running: {}}}
                """);
        assertThat(row(PODS, pod)).containsEntry("Ready", "2/2").containsEntry("Status", "Running")
                .containsEntry("Restarts", "2");
    }

    @Test
    void completedContainerBesideARunningOne_isRunningOrNotReady() {
        String text = """
                metadata: {name: p}
                spec: {containers: [{name: a, image: x}, {name: b, image: x}]}
                status:
                  phase: Running
                  conditions: [{type: Ready, status: "%s"}]
                  containerStatuses:
                  - {name: a, ready: false, state: {terminated: {exitCode: 0, reason: Completed}}}
                  - {name: b, ready: true, state: {running: {}}}
                """;
        assertThat(row(PODS, yaml(text.formatted("True")))).containsEntry("Status", "Running").containsEntry("Ready", "1/2");
        assertThat(row(PODS, yaml(text.formatted("False")))).containsEntry("Status", "NotReady");
    }

    @Test
    void readinessGatesAndNominatedNode() {
        ObjectNode pod = yaml("""
                metadata: {name: p}
                spec:
                  containers: [{name: a, image: x}]
                  readinessGates: [{conditionType: "example.com/feature-1"}, {conditionType: "example.com/feature-2"}]
                status:
                  phase: Pending
                  nominatedNodeName: node-2
                  conditions: [{type: "example.com/feature-1", status: "True"}, {type: "example.com/feature-2", status: "False"}]
                """);
        assertThat(row(PODS, pod)).containsEntry("Readiness Gates", "1/2").containsEntry("Nominated Node", "node-2");
    }

    @Test
    void everyCellIsPresent_evenForAnEmptyObject() {
        List<Object> cells = Fixtures.cells(PODS, yaml("{}"));
        assertThat(cells).hasSize(9).doesNotContainNull();
    }
}
