package io.kuberaft.apiserver.table;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static io.kuberaft.apiserver.table.Fixtures.ago;
import static io.kuberaft.apiserver.table.Fixtures.row;
import static io.kuberaft.apiserver.table.Fixtures.yaml;
import static org.assertj.core.api.Assertions.assertThat;

class WorkloadTablesTest {

    @Test
    void deployment_readyUpToDateAvailable_andWide() {
        // the seed's deployment (000:3055) right after create, before minReadySeconds passed (000:3350)
        ObjectNode deploy = yaml("""
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: deployment, creationTimestamp: "%s"}
                spec:
                  minReadySeconds: 10
                  replicas: 5
                  selector: {matchLabels: {app: node}}
                  template:
                    metadata: {labels: {app: node}}
                    spec:
                      containers:
                      - {name: node, image: "kim0lil/80700:v-1.0.0"}
                      - {name: log, image: busybox}
                status: {replicas: 5, updatedReplicas: 5, readyReplicas: 5, availableReplicas: 0}
                """.formatted(ago(8)));
        TableConvertor t = BuiltinTables.forKind("apps", "Deployment");
        assertThat(Fixtures.normalColumnNames(t)).containsExactly("Name", "Ready", "Up-to-date", "Available", "Age");
        assertThat(row(t, deploy)).containsExactly(Map.entry("Name", "deployment"), Map.entry("Ready", "5/5"),
                Map.entry("Up-to-date", 5L), Map.entry("Available", 0L), Map.entry("Age", "8s"),
                Map.entry("Containers", "node,log"), Map.entry("Images", "kim0lil/80700:v-1.0.0,busybox"),
                Map.entry("Selector", "app=node"));
        // spec.replicas defaults to 1
        assertThat(row(t, yaml("metadata: {name: d}\nspec: {}"))).containsEntry("Ready", "0/1")
                .containsEntry("Selector", "");
    }

    @Test
    void replicaSet_withSetBasedSelector() {
        ObjectNode rs = yaml("""
                metadata: {name: replicaset-deployments}
                spec:
                  replicas: 3
                  selector:
                    matchLabels: {app: replicaset-deployments}
                    matchExpressions:
                    - {key: version, operator: In, values: ["1.0.2", "1.0.0"]}
                    - {key: env, operator: NotIn, values: [prod]}
                    - {key: tier, operator: Exists}
                    - {key: canary, operator: DoesNotExist}
                  template:
                    spec: {containers: [{name: node, image: "kim0lil/80700:v-1.0.0"}]}
                status: {replicas: 3, readyReplicas: 2}
                """);
        TableConvertor t = BuiltinTables.forKind("apps", "ReplicaSet");
        assertThat(Fixtures.normalColumnNames(t)).containsExactly("Name", "Desired", "Current", "Ready", "Age");
        assertThat(row(t, rs)).containsEntry("Desired", 3L).containsEntry("Current", 3L).containsEntry("Ready", 2L)
                .containsEntry("Containers", "node").containsEntry("Images", "kim0lil/80700:v-1.0.0")
                .containsEntry("Selector",
                        "app=replicaset-deployments,!canary,env notin (prod),tier,version in (1.0.0,1.0.2)");
        assertThat(row(t, yaml("metadata: {name: r}\nspec: {selector: {}}"))).containsEntry("Selector", "<none>")
                .containsEntry("Desired", 1L).containsEntry("Current", 0L);
    }

    @Test
    void replicationController_mapSelector() {
        ObjectNode rc = yaml("""
                metadata: {name: app-rc}
                spec:
                  replicas: 3
                  selector: {version: "1.0", app: node}
                  template: {spec: {containers: [{name: node, image: img}]}}
                status: {replicas: 3, readyReplicas: 3}
                """);
        TableConvertor t = BuiltinTables.forKind("", "ReplicationController");
        assertThat(row(t, rc)).containsEntry("Desired", 3L).containsEntry("Ready", 3L)
                .containsEntry("Selector", "app=node,version=1.0");
    }

    @Test
    void daemonSet_nodeSelector() {
        ObjectNode ds = yaml("""
                metadata: {name: daemonset}
                spec:
                  selector: {matchLabels: {app: node}}
                  template:
                    spec:
                      nodeSelector: {os: centos}
                      containers: [{name: node, image: img}]
                status: {desiredNumberScheduled: 1, currentNumberScheduled: 1, numberReady: 1, updatedNumberScheduled: 1, numberAvailable: 1}
                """);
        TableConvertor t = BuiltinTables.forKind("apps", "DaemonSet");
        assertThat(Fixtures.normalColumnNames(t)).containsExactly("Name", "Desired", "Current", "Ready", "Up-to-date",
                "Available", "Node Selector", "Age");
        assertThat(row(t, ds)).containsEntry("Desired", 1L).containsEntry("Available", 1L)
                .containsEntry("Node Selector", "os=centos").containsEntry("Selector", "app=node");
    }

    @Test
    void statefulSetAndControllerRevision() {
        TableConvertor sts = BuiltinTables.forKind("apps", "StatefulSet");
        assertThat(Fixtures.columnNames(sts)).containsExactly("Name", "Ready", "Age", "Containers", "Images");
        assertThat(row(sts, yaml("metadata: {name: web}\nspec: {replicas: 3}\nstatus: {readyReplicas: 2}")))
                .containsEntry("Ready", "2/3");
        TableConvertor cr = BuiltinTables.forKind("apps", "ControllerRevision");
        ObjectNode rev = yaml("""
                metadata:
                  name: web-6b8d5f7c9
                  ownerReferences:
                  - {apiVersion: apps/v1, kind: StatefulSet, name: web, controller: true}
                revision: 2
                """);
        assertThat(row(cr, rev)).containsEntry("Controller", "statefulset.apps/web").containsEntry("Revision", 2L);
        assertThat(row(cr, yaml("metadata: {name: x}"))).containsEntry("Controller", "<none>");
    }

    @Test
    void job_statusCompletionsDuration() {
        TableConvertor t = BuiltinTables.forKind("batch", "Job");
        assertThat(Fixtures.normalColumnNames(t)).containsExactly("Name", "Status", "Completions", "Duration", "Age");
        ObjectNode running = yaml("""
                metadata: {name: job, creationTimestamp: "%s"}
                spec:
                  completions: 10
                  parallelism: 2
                  template: {spec: {containers: [{name: job, image: busybox}]}}
                status: {startTime: "%s", succeeded: 0, active: 2}
                """.formatted(ago(5), ago(5)));
        assertThat(row(t, running)).containsEntry("Status", "Running").containsEntry("Completions", "0/10")
                .containsEntry("Duration", "5s").containsEntry("Age", "5s");
        ObjectNode complete = yaml("""
                metadata: {name: job, creationTimestamp: "%s"}
                spec: {completions: 1}
                status:
                  startTime: "%s"
                  completionTime: "%s"
                  succeeded: 1
                  conditions: [{type: SuccessCriteriaMet, status: "True"}, {type: Complete, status: "True"}]
                """.formatted(ago(600), ago(600), ago(583)));
        assertThat(row(t, complete)).containsEntry("Status", "Complete").containsEntry("Completions", "1/1")
                .containsEntry("Duration", "17s").containsEntry("Age", "10m");
        ObjectNode parallel = yaml("metadata: {name: j}\nspec: {parallelism: 3}");
        assertThat(row(t, parallel)).containsEntry("Completions", "0/1 of 3").containsEntry("Duration", "");
        ObjectNode failed = yaml("metadata: {name: j}\nstatus: {conditions: [{type: Failed, status: \"True\"}]}");
        assertThat(row(t, failed)).containsEntry("Status", "Failed");
        ObjectNode suspended = yaml("metadata: {name: j}\nstatus: {conditions: [{type: Suspended, status: \"True\"}]}");
        assertThat(row(t, suspended)).containsEntry("Status", "Suspended");
        ObjectNode deleting = yaml("metadata: {name: j, deletionTimestamp: \"2024-05-01T11:00:00Z\"}\nstatus: {conditions: [{type: Suspended, status: \"True\"}]}");
        assertThat(row(t, deleting)).containsEntry("Status", "Terminating");
    }

    @Test
    void cronJob() {
        TableConvertor t = BuiltinTables.forKind("batch", "CronJob");
        assertThat(Fixtures.normalColumnNames(t)).containsExactly("Name", "Schedule", "Timezone", "Suspend", "Active",
                "Last Schedule", "Age");
        ObjectNode cj = yaml("""
                metadata: {name: cronjob, creationTimestamp: "%s"}
                spec:
                  schedule: "* * * * *"
                  jobTemplate:
                    spec:
                      template: {spec: {containers: [{name: job, image: busybox}]}}
                status:
                  active: [{name: cronjob-27755234}]
                  lastScheduleTime: "%s"
                """.formatted(ago(26), ago(7)));
        assertThat(row(t, cj)).containsEntry("Schedule", "* * * * *").containsEntry("Timezone", "<none>")
                .containsEntry("Suspend", "False").containsEntry("Active", 1L).containsEntry("Last Schedule", "7s")
                .containsEntry("Age", "26s").containsEntry("Containers", "job").containsEntry("Selector", "<none>");
        ObjectNode suspended = yaml("metadata: {name: c}\nspec: {schedule: \"@hourly\", suspend: true, timeZone: Asia/Seoul}");
        assertThat(row(t, suspended)).containsEntry("Suspend", "True").containsEntry("Timezone", "Asia/Seoul")
                .containsEntry("Last Schedule", "<none>").containsEntry("Active", 0L);
    }
}
