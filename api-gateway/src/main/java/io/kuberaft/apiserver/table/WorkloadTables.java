package io.kuberaft.apiserver.table;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;

import static io.kuberaft.apiserver.table.Cells.integer;
import static io.kuberaft.apiserver.table.Cells.text;

/**
 * Workload controllers: replication controllers, replica sets, deployments, stateful sets, daemon
 * sets, controller revisions, jobs and cron jobs. Replica counts the apiserver would default
 * ({@code spec.replicas} = 1) are read with that default.
 */
final class WorkloadTables {
    private WorkloadTables() {
    }

    // ---- ReplicationController, ReplicaSet ------------------------------------------------------------

    static final TableConvertor REPLICATION_CONTROLLER = new RowTable(List.of(
            Columns.NAME,
            Columns.col("Desired", "integer", SwaggerDocs.REPLICATION_CONTROLLER_SPEC_REPLICAS),
            Columns.col("Current", "integer", SwaggerDocs.REPLICATION_CONTROLLER_STATUS_REPLICAS),
            Columns.col("Ready", "integer", SwaggerDocs.REPLICATION_CONTROLLER_STATUS_READY_REPLICAS),
            Columns.AGE,
            Columns.CONTAINERS_WIDE,
            Columns.IMAGES_WIDE,
            Columns.wide("Selector", "string", SwaggerDocs.REPLICATION_CONTROLLER_SPEC_SELECTOR)),
            (o, now) -> {
                JsonNode containers = Cells.templateContainers(o);
                return List.of(Cells.name(o), desired(o), integer(o.path("status").path("replicas"), 0),
                        integer(o.path("status").path("readyReplicas"), 0), Cells.age(o, now),
                        Cells.containerNames(containers), Cells.containerImages(containers),
                        Cells.labels(o.path("spec").path("selector")));
            });

    static final TableConvertor REPLICA_SET = new RowTable(List.of(
            Columns.NAME,
            Columns.col("Desired", "integer", SwaggerDocs.REPLICA_SET_SPEC_REPLICAS),
            Columns.col("Current", "integer", SwaggerDocs.REPLICA_SET_STATUS_REPLICAS),
            Columns.col("Ready", "integer", SwaggerDocs.REPLICA_SET_STATUS_READY_REPLICAS),
            Columns.AGE,
            Columns.CONTAINERS_WIDE,
            Columns.IMAGES_WIDE,
            Columns.wide("Selector", "string", SwaggerDocs.REPLICA_SET_SPEC_SELECTOR)),
            (o, now) -> {
                JsonNode containers = Cells.templateContainers(o);
                return List.of(Cells.name(o), desired(o), integer(o.path("status").path("replicas"), 0),
                        integer(o.path("status").path("readyReplicas"), 0), Cells.age(o, now),
                        Cells.containerNames(containers), Cells.containerImages(containers),
                        Cells.labelSelector(o.path("spec").path("selector")));
            });

    // ---- Deployment, StatefulSet, DaemonSet ---------------------------------------------------------

    static final TableConvertor DEPLOYMENT = new RowTable(List.of(
            Columns.NAME,
            Columns.col("Ready", "string", "Number of the pod with ready state"),
            Columns.col("Up-to-date", "string", SwaggerDocs.DEPLOYMENT_STATUS_UPDATED_REPLICAS),
            Columns.col("Available", "string", SwaggerDocs.DEPLOYMENT_STATUS_AVAILABLE_REPLICAS),
            Columns.AGE,
            Columns.CONTAINERS_WIDE,
            Columns.IMAGES_WIDE,
            Columns.wide("Selector", "string", SwaggerDocs.DEPLOYMENT_SPEC_SELECTOR)),
            (o, now) -> {
                JsonNode status = o.path("status");
                JsonNode containers = Cells.templateContainers(o);
                String selector = Cells.selectorString(o.path("spec").path("selector"));
                return List.of(Cells.name(o), integer(status.path("readyReplicas"), 0) + "/" + desired(o),
                        integer(status.path("updatedReplicas"), 0), integer(status.path("availableReplicas"), 0),
                        Cells.age(o, now), Cells.containerNames(containers), Cells.containerImages(containers),
                        selector == null ? "<invalid>" : selector);
            });

    static final TableConvertor STATEFUL_SET = new RowTable(List.of(
            Columns.NAME,
            Columns.col("Ready", "string", "Number of the pod with ready state"),
            Columns.AGE,
            Columns.CONTAINERS_WIDE,
            Columns.IMAGES_WIDE),
            (o, now) -> {
                JsonNode containers = Cells.templateContainers(o);
                return List.of(Cells.name(o), integer(o.path("status").path("readyReplicas"), 0) + "/" + desired(o),
                        Cells.age(o, now), Cells.containerNames(containers), Cells.containerImages(containers));
            });

    static final TableConvertor DAEMON_SET = new RowTable(List.of(
            Columns.NAME,
            Columns.col("Desired", "integer", SwaggerDocs.DAEMON_SET_STATUS_DESIRED_NUMBER_SCHEDULED),
            Columns.col("Current", "integer", SwaggerDocs.DAEMON_SET_STATUS_CURRENT_NUMBER_SCHEDULED),
            Columns.col("Ready", "integer", SwaggerDocs.DAEMON_SET_STATUS_NUMBER_READY),
            Columns.col("Up-to-date", "integer", SwaggerDocs.DAEMON_SET_STATUS_UPDATED_NUMBER_SCHEDULED),
            Columns.col("Available", "integer", SwaggerDocs.DAEMON_SET_STATUS_NUMBER_AVAILABLE),
            Columns.col("Node Selector", "string", SwaggerDocs.POD_SPEC_NODE_SELECTOR),
            Columns.AGE,
            Columns.CONTAINERS_WIDE,
            Columns.IMAGES_WIDE,
            Columns.wide("Selector", "string", SwaggerDocs.DAEMON_SET_SPEC_SELECTOR)),
            (o, now) -> {
                JsonNode s = o.path("status");
                JsonNode containers = Cells.templateContainers(o);
                return List.of(Cells.name(o), integer(s.path("desiredNumberScheduled"), 0),
                        integer(s.path("currentNumberScheduled"), 0), integer(s.path("numberReady"), 0),
                        integer(s.path("updatedNumberScheduled"), 0), integer(s.path("numberAvailable"), 0),
                        Cells.labels(o.path("spec").path("template").path("spec").path("nodeSelector")),
                        Cells.age(o, now), Cells.containerNames(containers), Cells.containerImages(containers),
                        Cells.labelSelector(o.path("spec").path("selector")));
            });

    static final TableConvertor CONTROLLER_REVISION = new RowTable(List.of(
            Columns.NAME,
            Columns.col("Controller", "string", "Controller of the object"),
            Columns.col("Revision", "string", SwaggerDocs.CONTROLLER_REVISION_REVISION),
            Columns.AGE),
            (o, now) -> List.of(Cells.name(o), controllerOf(o), integer(o.path("revision"), 0), Cells.age(o, now)));

    // ---- Job, CronJob -------------------------------------------------------------------------------

    static final TableConvertor JOB = new RowTable(List.of(
            Columns.NAME,
            Columns.col("Status", "string", "Status of the job."),
            Columns.col("Completions", "string", SwaggerDocs.JOB_STATUS_SUCCEEDED),
            Columns.col("Duration", "string", "Time required to complete the job."),
            Columns.AGE,
            Columns.CONTAINERS_WIDE,
            Columns.IMAGES_WIDE,
            Columns.wide("Selector", "string", SwaggerDocs.JOB_SPEC_SELECTOR)),
            (o, now) -> {
                JsonNode containers = Cells.templateContainers(o);
                return List.of(Cells.name(o), jobStatus(o), completions(o), jobDuration(o, now), Cells.age(o, now),
                        Cells.containerNames(containers), Cells.containerImages(containers),
                        Cells.labelSelector(o.path("spec").path("selector")));
            });

    static final TableConvertor CRON_JOB = new RowTable(List.of(
            Columns.NAME,
            Columns.col("Schedule", "string", SwaggerDocs.CRON_JOB_SPEC_SCHEDULE),
            Columns.col("Timezone", "string", SwaggerDocs.CRON_JOB_SPEC_TIME_ZONE),
            Columns.col("Suspend", "boolean", SwaggerDocs.CRON_JOB_SPEC_SUSPEND),
            Columns.col("Active", "integer", SwaggerDocs.CRON_JOB_STATUS_ACTIVE),
            Columns.col("Last Schedule", "string", SwaggerDocs.CRON_JOB_STATUS_LAST_SCHEDULE_TIME),
            Columns.AGE,
            Columns.CONTAINERS_WIDE,
            Columns.IMAGES_WIDE,
            Columns.wide("Selector", "string", SwaggerDocs.JOB_SPEC_SELECTOR)),
            (o, now) -> {
                JsonNode spec = o.path("spec");
                JsonNode jobSpec = spec.path("jobTemplate").path("spec");
                JsonNode containers = jobSpec.path("template").path("spec").path("containers");
                String last = text(o.path("status").path("lastScheduleTime"));
                return List.of(Cells.name(o), text(spec.path("schedule")), text(spec.path("timeZone"), Cells.NONE),
                        // suspend defaults to false on create
                        Cells.goBool(Cells.bool(spec.path("suspend"), false)),
                        (long) Cells.size(o.path("status").path("active")),
                        last.isEmpty() ? Cells.NONE : Ages.since(last, now), Cells.age(o, now),
                        Cells.containerNames(containers), Cells.containerImages(containers),
                        Cells.labelSelector(jobSpec.path("selector")));
            });

    // ---- helpers ------------------------------------------------------------------------------------

    /** spec.replicas, which the apiserver defaults to 1. */
    static long desired(JsonNode o) {
        return integer(o.path("spec").path("replicas"), 1);
    }

    /** The controlling owner as "kind.group/name" in lower case, or {@code <none>}. */
    static String controllerOf(JsonNode o) {
        for (JsonNode ref : o.path("metadata").path("ownerReferences")) {
            if (Cells.bool(ref.path("controller"), false)) {
                String apiVersion = text(ref.path("apiVersion"));
                int slash = apiVersion.indexOf('/');
                String group = slash < 0 ? "" : apiVersion.substring(0, slash);
                String kind = text(ref.path("kind"));
                String name = text(ref.path("name"));
                if (kind.isEmpty() && group.isEmpty()) {
                    return name;
                }
                String groupKind = group.isEmpty() ? kind : kind + "." + group;
                return groupKind.toLowerCase() + "/" + name;
            }
        }
        return Cells.NONE;
    }

    static String jobStatus(JsonNode job) {
        JsonNode conditions = job.path("status").path("conditions");
        if (hasCondition(conditions, "Complete")) {
            return "Complete";
        } else if (hasCondition(conditions, "Failed")) {
            return "Failed";
        } else if (Cells.deleting(job)) {
            return "Terminating";
        } else if (hasCondition(conditions, "Suspended")) {
            return "Suspended";
        } else if (hasCondition(conditions, "FailureTarget")) {
            return "FailureTarget";
        }
        return "Running";
    }

    static String completions(JsonNode job) {
        JsonNode spec = job.path("spec");
        long succeeded = integer(job.path("status").path("succeeded"), 0);
        JsonNode completions = spec.path("completions");
        if (completions.isNumber()) {
            return succeeded + "/" + completions.asLong();
        }
        long parallelism = integer(spec.path("parallelism"), 0);
        return parallelism > 1 ? succeeded + "/1 of " + parallelism : succeeded + "/1";
    }

    static String jobDuration(JsonNode job, long now) {
        Instant start = instant(job.path("status").path("startTime"));
        if (start == null) {
            return "";
        }
        Instant end = instant(job.path("status").path("completionTime"));
        long endMillis = end == null ? now : end.toEpochMilli();
        return Ages.human((endMillis - start.toEpochMilli()) / 1000);
    }

    private static boolean hasCondition(JsonNode conditions, String type) {
        for (JsonNode c : conditions) {
            if (type.equals(text(c.path("type")))) {
                return "True".equals(text(c.path("status")));
            }
        }
        return false;
    }

    private static Instant instant(JsonNode n) {
        String s = text(n);
        if (s.isEmpty()) {
            return null;
        }
        try {
            return Instant.parse(s);
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
