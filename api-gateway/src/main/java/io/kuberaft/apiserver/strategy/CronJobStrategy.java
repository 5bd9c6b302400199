package io.kuberaft.apiserver.strategy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.DefaultStrategy;
import io.kuberaft.apiserver.registry.Objects;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.kubeapi.StatusException.Cause;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** batch/v1 CronJob: concurrencyPolicy Allow, suspend false, history limits 3/1, schedule and jobTemplate validation. */
public final class CronJobStrategy extends DefaultStrategy {
    @Override
    public PodTemplateAt podTemplate(ObjectNode obj) {
        return new PodTemplateAt(obj.path("spec").path("jobTemplate").path("spec").path("template"), "spec.jobTemplate.spec.template");
    }

    @Override
    public Generation generation() {
        return Generation.SPEC;
    }

    private static final Set<String> DESCRIPTORS = Set.of("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly");

    @Override
    public void prepareForCreate(ResourceDefinition def, ObjectNode obj) {
        defaults(def, obj);
        obj.putObject("status");
    }

    @Override
    public void prepareForUpdate(ResourceDefinition def, ObjectNode obj, ObjectNode old) {
        defaults(def, obj);
    }

    private static void defaults(ResourceDefinition def, ObjectNode obj) {
        ObjectNode spec = Json.obj(obj, "spec");
        Json.defaultText(spec, "concurrencyPolicy", "Allow");
        Json.defaultBool(spec, "suspend", false);
        Json.defaultInt(spec, "successfulJobsHistoryLimit", 3);
        Json.defaultInt(spec, "failedJobsHistoryLimit", 1);
        ObjectNode jobSpec = Json.obj(Json.obj(spec, "jobTemplate"), "spec");
        Templates.defaults(def, Json.obj(jobSpec, "template"));
    }

    @Override
    public List<Cause> validate(ResourceDefinition def, ObjectNode obj) {
        List<Cause> out = new ArrayList<>();
        String name = Objects.name(obj);
        if (name.length() > 52) {
            out.add(Fields.invalid("metadata.name", name, "must be no more than 52 characters"));
        }
        JsonNode spec = obj.path("spec");
        String schedule = spec.path("schedule").asText("");
        if (schedule.isEmpty()) {
            out.add(Fields.required("spec.schedule"));
        } else {
            String problem = scheduleProblem(schedule);
            if (problem != null) {
                out.add(Fields.invalid("spec.schedule", schedule, problem));
            }
        }
        String policy = spec.path("concurrencyPolicy").asText("");
        if (!List.of("Allow", "Forbid", "Replace").contains(policy)) {
            out.add(Fields.notSupported("spec.concurrencyPolicy", policy, List.of("Allow", "Forbid", "Replace")));
        }
        Templates.nonNegative(out, spec, "spec", "startingDeadlineSeconds", "successfulJobsHistoryLimit", "failedJobsHistoryLimit");
        JobStrategy.validateSpec(out, spec.path("jobTemplate").path("spec"), "spec.jobTemplate.spec", false, "");
        return out;
    }

    /** Null when the schedule parses (five fields or a descriptor), else robfig/cron's complaint. */
    static String scheduleProblem(String schedule) {
        String s = schedule.trim();
        if (s.startsWith("TZ=") || s.startsWith("CRON_TZ=")) {
            return "cannot use TZ or CRON_TZ in schedule, use timeZone field instead";
        }
        if (s.startsWith("@")) {
            return DESCRIPTORS.contains(s) || s.startsWith("@every ") ? null : "unrecognized descriptor: " + s;
        }
        String[] fields = s.split("\\s+");
        if (fields.length != 5) {
            return "expected exactly 5 fields, found " + fields.length + ": " + s;
        }
        int[][] bounds = {{0, 59}, {0, 23}, {1, 31}, {1, 12}, {0, 7}};
        for (int i = 0; i < 5; i++) {
            String f = fields[i].toUpperCase();
            for (String part : f.split(",")) {
                if (!validField(part, bounds[i][0], bounds[i][1], i)) {
                    return "failed to parse int from " + part + ": strconv.Atoi: parsing " + Fields.quote(part) + ": invalid syntax";
                }
            }
        }
        return null;
    }

    private static boolean validField(String part, int min, int max, int index) {
        String range = part;
        int slash = part.indexOf('/');
        if (slash >= 0) {
            if (!part.substring(slash + 1).matches("[0-9]+")) {
                return false;
            }
            range = part.substring(0, slash);
        }
        if (range.equals("*") || range.equals("?")) {
            return true;
        }
        for (String bound : range.split("-", -1)) {
            if (bound.matches("[0-9]+")) {
                int v = Integer.parseInt(bound);
                if (v < min || v > max) {
                    return false;
                }
            } else if (!(index == 3 && bound.matches("JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC"))
                    && !(index == 4 && bound.matches("SUN|MON|TUE|WED|THU|FRI|SAT"))) {
                return false;
            }
        }
        return true;
    }
}
