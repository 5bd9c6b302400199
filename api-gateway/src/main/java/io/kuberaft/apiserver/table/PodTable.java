package io.kuberaft.apiserver.table;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.table.TableConvertor.Column;
import io.kuberaft.apiserver.table.TableConvertor.RowCondition;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static io.kuberaft.apiserver.table.Cells.text;

/**
 * Pods: NAME READY STATUS RESTARTS AGE, wide IP NODE NOMINATED NODE READINESS GATES. STATUS is the
 * aggregate kubectl users know: the phase, overridden by the pod's reason, by init container progress
 * ({@code Init:1/2}, {@code Init:CrashLoopBackOff}), by container waiting/terminated reasons
 * ({@code ContainerCreating}, {@code CrashLoopBackOff}, {@code Completed}) and by deletion
 * ({@code Terminating}).
 */
final class PodTable {
    private PodTable() {
    }

    static final List<Column> COLUMNS = List.of(
            Columns.NAME,
            Columns.col("Ready", "string", "The aggregate readiness state of this pod for accepting traffic."),
            Columns.col("Status", "string", "The aggregate status of the containers in this pod."),
            Columns.col("Restarts", "string", "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."),
            Columns.AGE,
            Columns.wide("IP", "string", SwaggerDocs.POD_STATUS_POD_IP),
            Columns.wide("Node", "string", SwaggerDocs.POD_SPEC_NODE_NAME),
            Columns.wide("Nominated Node", "string", SwaggerDocs.POD_STATUS_NOMINATED_NODE_NAME),
            Columns.wide("Readiness Gates", "string", SwaggerDocs.POD_SPEC_READINESS_GATES));

    static final TableConvertor TABLE = new RowTable(COLUMNS, PodTable::cells, PodTable::conditions);

    /** The summary of one pod: READY, STATUS and RESTARTS. */
    record Summary(String ready, String status, String restarts) {
    }

    static List<Object> cells(ObjectNode pod, long now) {
        Summary s = summarize(pod, now);
        JsonNode status = pod.path("status");
        String podIP = "";
        if (status.path("podIPs").size() > 0) {
            podIP = text(status.path("podIPs").get(0).path("ip"));
        } else {
            // A real apiserver always mirrors podIP into podIPs; accept objects written without it.
            podIP = text(status.path("podIP"));
        }
        return List.of(Cells.name(pod), s.ready(), s.status(), s.restarts(), Cells.age(pod, now),
                orNone(podIP), orNone(text(pod.path("spec").path("nodeName"))),
                orNone(text(status.path("nominatedNodeName"))), readinessGates(pod));
    }

    static List<RowCondition> conditions(ObjectNode pod) {
        return switch (text(pod.path("status").path("phase"))) {
            case "Succeeded" -> List.of(new RowCondition("Completed", "True", "Succeeded", "The pod has completed successfully."));
            case "Failed" -> List.of(new RowCondition("Completed", "True", "Failed", "The pod failed."));
            default -> List.of();
        };
    }

    static Summary summarize(ObjectNode pod, long now) {
        JsonNode spec = pod.path("spec");
        JsonNode status = pod.path("status");
        int restarts = 0;
        int sidecarRestarts = 0;
        int total = spec.path("containers").size();
        int ready = 0;
        Instant lastRestart = null;
        Instant lastSidecarRestart = null;

        // A pod just created is Pending (the apiserver sets the phase on create).
        String phase = text(status.path("phase"), "Pending");
        String reason = text(status.path("reason"), phase);
        for (JsonNode c : status.path("conditions")) {
            if ("PodScheduled".equals(text(c.path("type"))) && "SchedulingGated".equals(text(c.path("reason")))) {
                reason = "SchedulingGated";
            }
        }

        Set<String> sidecars = new HashSet<>();
        int initCount = spec.path("initContainers").size();
        for (JsonNode c : spec.path("initContainers")) {
            if ("Always".equals(text(c.path("restartPolicy")))) {
                sidecars.add(text(c.path("name")));
                total++;
            }
        }

        boolean initializing = false;
        int i = 0;
        for (JsonNode c : status.path("initContainerStatuses")) {
            boolean sidecar = sidecars.contains(text(c.path("name")));
            restarts += (int) Cells.integer(c.path("restartCount"), 0);
            Instant finished = lastFinished(c);
            lastRestart = later(lastRestart, finished);
            if (sidecar) {
                sidecarRestarts += (int) Cells.integer(c.path("restartCount"), 0);
                lastSidecarRestart = later(lastSidecarRestart, finished);
            }
            JsonNode terminated = c.path("state").path("terminated");
            JsonNode waiting = c.path("state").path("waiting");
            if (terminated.isObject() && Cells.integer(terminated.path("exitCode"), 0) == 0) {
                i++;
                continue;
            }
            if (sidecar && Cells.bool(c.path("started"), false)) {
                if (Cells.bool(c.path("ready"), false)) {
                    ready++;
                }
                i++;
                continue;
            }
            if (terminated.isObject()) {
                String r = text(terminated.path("reason"));
                if (r.isEmpty()) {
                    long signal = Cells.integer(terminated.path("signal"), 0);
                    reason = signal != 0 ? "Init:Signal:" + signal
                            : "Init:ExitCode:" + Cells.integer(terminated.path("exitCode"), 0);
                } else {
                    reason = "Init:" + r;
                }
            } else if (waiting.isObject() && !text(waiting.path("reason")).isEmpty()
                    && !"PodInitializing".equals(text(waiting.path("reason")))) {
                reason = "Init:" + text(waiting.path("reason"));
            } else {
                reason = "Init:" + i + "/" + initCount;
            }
            initializing = true;
            break;
        }

        if (!initializing || conditionTrue(status, "Initialized")) {
            restarts = sidecarRestarts;
            lastRestart = lastSidecarRestart;
            boolean hasRunning = false;
            JsonNode statuses = status.path("containerStatuses");
            for (int k = statuses.size() - 1; k >= 0; k--) {
                JsonNode c = statuses.get(k);
                restarts += (int) Cells.integer(c.path("restartCount"), 0);
                lastRestart = later(lastRestart, lastFinished(c));
                JsonNode waiting = c.path("state").path("waiting");
                JsonNode terminated = c.path("state").path("terminated");
                if (waiting.isObject() && !text(waiting.path("reason")).isEmpty()) {
                    reason = text(waiting.path("reason"));
                } else if (terminated.isObject() && !text(terminated.path("reason")).isEmpty()) {
                    reason = text(terminated.path("reason"));
                } else if (terminated.isObject()) {
                    long signal = Cells.integer(terminated.path("signal"), 0);
                    reason = signal != 0 ? "Signal:" + signal : "ExitCode:" + Cells.integer(terminated.path("exitCode"), 0);
                } else if (Cells.bool(c.path("ready"), false) && c.path("state").path("running").isObject()) {
                    hasRunning = true;
                    ready++;
                }
            }
            // Back to Running while at least one container still runs.
            if ("Completed".equals(reason) && hasRunning) {
                reason = conditionTrue(status, "Ready") ? "Running" : "NotReady";
            }
        }

        if (Cells.deleting(pod) && "NodeLost".equals(text(status.path("reason")))) {
            reason = "Unknown";
        } else if (Cells.deleting(pod) && !"Succeeded".equals(phase) && !"Failed".equals(phase)) {
            reason = "Terminating";
        }

        String restartText = Integer.toString(restarts);
        if (restarts != 0 && lastRestart != null) {
            restartText = restarts + " (" + Ages.human((now - lastRestart.toEpochMilli()) / 1000) + " ago)";
        }
        return new Summary(ready + "/" + total, reason, restartText);
    }

    private static String readinessGates(JsonNode pod) {
        JsonNode gates = pod.path("spec").path("readinessGates");
        if (gates.size() == 0) {
            return Cells.NONE;
        }
        int trueCount = 0;
        for (JsonNode gate : gates) {
            String type = text(gate.path("conditionType"));
            for (JsonNode c : pod.path("status").path("conditions")) {
                if (type.equals(text(c.path("type")))) {
                    if ("True".equals(text(c.path("status")))) {
                        trueCount++;
                    }
                    break;
                }
            }
        }
        return trueCount + "/" + gates.size();
    }

    /** The first condition of that type decides. */
    private static boolean conditionTrue(JsonNode status, String type) {
        for (JsonNode c : status.path("conditions")) {
            if (type.equals(text(c.path("type")))) {
                return "True".equals(text(c.path("status")));
            }
        }
        return false;
    }

    private static Instant lastFinished(JsonNode containerStatus) {
        JsonNode t = containerStatus.path("lastState").path("terminated");
        if (!t.isObject()) {
            return null;
        }
        String at = text(t.path("finishedAt"));
        if (at.isEmpty()) {
            return null;
        }
        try {
            return Instant.parse(at);
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    private static Instant later(Instant a, Instant b) {
        if (b == null) {
            return a;
        }
        return a == null || a.isBefore(b) ? b : a;
    }

    private static String orNone(String s) {
        return s.isEmpty() ? Cells.NONE : s;
    }
}
