package io.kuberaft.apiserver.strategy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.kubeapi.StatusException.Cause;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What every pod spec gets, in a Pod or in a template (Deployment, Job, …): upstream's v1 defaults
 * (SetDefaults_PodSpec, _Container, _Probe, _Volume, …) and ValidatePodSpec's most important checks, with
 * upstream's field paths and messages.
 */
public final class PodSpecs {
    private PodSpecs() {
    }

    static final List<String> RESTART_POLICIES = List.of("Always", "OnFailure", "Never");
    private static final List<String> DNS_POLICIES = List.of("ClusterFirst", "ClusterFirstWithHostNet", "Default", "None");
    private static final List<String> PULL_POLICIES = List.of("Always", "IfNotPresent", "Never");
    private static final List<String> PROTOCOLS = List.of("SCTP", "TCP", "UDP");
    private static final List<String> MESSAGE_POLICIES = List.of("File", "FallbackToLogsOnError");
    private static final List<String> TAINT_EFFECTS = List.of("NoExecute", "NoSchedule", "PreferNoSchedule");
    private static final List<String> VOLUME_SOURCES = List.of("hostPath", "emptyDir", "gcePersistentDisk", "awsElasticBlockStore",
            "gitRepo", "secret", "nfs", "iscsi", "glusterfs", "persistentVolumeClaim", "rbd", "flexVolume", "cinder", "cephfs",
            "flocker", "downwardAPI", "fc", "azureFile", "configMap", "vsphereVolume", "quobyte", "azureDisk", "photonPersistentDisk",
            "projected", "portworxVolume", "scaleIO", "storageos", "csi", "ephemeral", "image");
    private static final List<String> PROBES = List.of("livenessProbe", "readinessProbe", "startupProbe");
    private static final String[] CONTAINER_KINDS = {"initContainers", "containers", "ephemeralContainers"};

    // ---------------------------------------------------------------- defaults

    /** A template ({@code spec.template}): its pod spec's defaults. */
    public static void defaultTemplate(ObjectNode template) {
        defaults(Json.obj(template, "spec"));
    }

    /** SetDefaults_PodSpec and everything below it. */
    public static void defaults(ObjectNode spec) {
        Json.defaultText(spec, "dnsPolicy", "ClusterFirst");
        Json.defaultText(spec, "restartPolicy", "Always");
        if (!(spec.get("securityContext") instanceof ObjectNode)) {
            spec.putObject("securityContext");
        }
        Json.defaultInt(spec, "terminationGracePeriodSeconds", 30);
        Json.defaultText(spec, "schedulerName", "default-scheduler");
        // v1's deprecated serviceAccount mirrors serviceAccountName (conversion).
        if (Json.blank(spec, "serviceAccountName") && !Json.blank(spec, "serviceAccount")) {
            spec.put("serviceAccountName", spec.get("serviceAccount").asText());
        }
        if (!Json.blank(spec, "serviceAccountName")) {
            spec.put("serviceAccount", spec.get("serviceAccountName").asText());
        }
        for (String kind : CONTAINER_KINDS) {
            for (ObjectNode c : Json.objects(spec, kind)) {
                containerDefaults(c);
            }
        }
        for (ObjectNode v : Json.objects(spec, "volumes")) {
            volumeDefaults(v);
        }
    }

    /** SetDefaults_Pod: only for Pod objects (not templates). */
    public static void podOnlyDefaults(ObjectNode spec) {
        for (String kind : new String[] {"containers", "initContainers"}) {
            for (ObjectNode c : Json.objects(spec, kind)) {
                JsonNode limits = c.path("resources").path("limits");
                if (limits.isObject() && limits.size() > 0) {
                    ObjectNode requests = Json.obj(Json.obj(c, "resources"), "requests");
                    limits.fields().forEachRemaining(e -> {
                        if (!requests.has(e.getKey())) {
                            requests.set(e.getKey(), e.getValue().deepCopy());
                        }
                    });
                }
                if (spec.path("hostNetwork").asBoolean(false)) {
                    for (ObjectNode p : Json.objects(c, "ports")) {
                        if (Json.blank(p, "hostPort") || p.path("hostPort").asInt() == 0) {
                            p.set("hostPort", p.path("containerPort").deepCopy());
                        }
                    }
                }
            }
        }
        Json.defaultBool(spec, "enableServiceLinks", true);
    }

    /** An ephemeral container is defaulted as any container (SetDefaults_EphemeralContainer). */
    public static void ephemeralContainerDefaults(ObjectNode c) {
        containerDefaults(c);
    }

    static void containerDefaults(ObjectNode c) {
        if (Json.blank(c, "imagePullPolicy")) {
            c.put("imagePullPolicy", "latest".equals(imageTag(c.path("image").asText(""))) ? "Always" : "IfNotPresent");
        }
        Json.obj(c, "resources");
        Json.defaultText(c, "terminationMessagePath", "/dev/termination-log");
        Json.defaultText(c, "terminationMessagePolicy", "File");
        for (ObjectNode p : Json.objects(c, "ports")) {
            Json.defaultText(p, "protocol", "TCP");
        }
        for (String probe : PROBES) {
            if (c.get(probe) instanceof ObjectNode p) {
                Json.defaultInt(p, "timeoutSeconds", 1);
                Json.defaultInt(p, "periodSeconds", 10);
                Json.defaultInt(p, "successThreshold", 1);
                Json.defaultInt(p, "failureThreshold", 3);
                handlerDefaults(p);
            }
        }
        if (c.get("lifecycle") instanceof ObjectNode l) {
            for (String hook : new String[] {"postStart", "preStop"}) {
                if (l.get(hook) instanceof ObjectNode h) {
                    handlerDefaults(h);
                }
            }
        }
        for (ObjectNode env : Json.objects(c, "env")) {
            if (env.get("valueFrom") instanceof ObjectNode from) {
                fieldRefDefaults(from);
            }
        }
    }

    private static void handlerDefaults(ObjectNode h) {
        if (h.get("httpGet") instanceof ObjectNode g) {
            Json.defaultText(g, "path", "/");
            Json.defaultText(g, "scheme", "HTTP");
        }
        if (h.get("grpc") instanceof ObjectNode g && !g.has("service")) {
            g.put("service", "");
        }
    }

    private static void fieldRefDefaults(ObjectNode holder) {
        if (holder.get("fieldRef") instanceof ObjectNode f) {
            Json.defaultText(f, "apiVersion", "v1");
        }
        if (holder.get("resourceFieldRef") instanceof ObjectNode r && !r.has("divisor")) {
            r.put("divisor", "0");
        }
    }

    /** The tag of an image reference: "latest" when neither tag nor digest is given (as upstream's parser). */
    static String imageTag(String image) {
        if (image.contains("@")) {
            return "";
        }
        int slash = image.lastIndexOf('/');
        int colon = image.lastIndexOf(':');
        return colon > slash ? image.substring(colon + 1) : "latest";
    }

    static void volumeDefaults(ObjectNode v) {
        boolean any = false;
        for (String s : VOLUME_SOURCES) {
            any |= v.hasNonNull(s);
        }
        if (!any) {
            v.putObject("emptyDir");
        }
        for (String s : new String[] {"secret", "configMap", "downwardAPI", "projected"}) {
            if (v.get(s) instanceof ObjectNode src) {
                Json.defaultInt(src, "defaultMode", 420);
            }
        }
        if (v.get("downwardAPI") instanceof ObjectNode d) {
            Json.objects(d, "items").forEach(PodSpecs::fieldRefDefaults);
        }
        if (v.get("projected") instanceof ObjectNode p) {
            for (ObjectNode src : Json.objects(p, "sources")) {
                if (src.get("serviceAccountToken") instanceof ObjectNode t) {
                    Json.defaultInt(t, "expirationSeconds", 3600);
                }
                if (src.get("downwardAPI") instanceof ObjectNode d) {
                    Json.objects(d, "items").forEach(PodSpecs::fieldRefDefaults);
                }
            }
        }
        if (v.get("hostPath") instanceof ObjectNode h && !h.has("type")) {
            h.put("type", "");
        }
        if (v.get("ephemeral") instanceof ObjectNode e && e.path("volumeClaimTemplate").path("spec") instanceof ObjectNode s) {
            Json.defaultText(s, "volumeMode", "Filesystem");
        }
    }

    // ---------------------------------------------------------------- validation

    /** Template metadata (labels, annotations) and its pod spec. */
    public static List<Cause> validateTemplate(JsonNode template, String path) {
        List<Cause> out = new ArrayList<>();
        Fields.labels(out, path + ".metadata.labels", template.path("metadata").path("labels"));
        template.path("metadata").path("annotations").fieldNames()
                .forEachRemaining(k -> out.addAll(Fields.qualifiedName(path + ".metadata.annotations", k)));
        out.addAll(validate(template.path("spec"), path + ".spec"));
        return out;
    }

    /** ValidatePodSpec (the checks that matter most), {@code path} being "spec" or "spec.template.spec". */
    public static List<Cause> validate(JsonNode spec, String path) {
        List<Cause> out = new ArrayList<>();
        Set<String> gates = new HashSet<>();
        JsonNode gateList = spec.path("schedulingGates");
        for (int i = 0; i < gateList.size(); i++) {
            String field = Fields.index(path + ".schedulingGates", i) + ".name";
            String name = gateList.get(i).path("name").asText("");
            out.addAll(io.kuberaft.apiserver.registry.Validation.qualifiedName(field, name));
            if (!gates.add(name)) {
                out.add(Fields.duplicate(field, name));
            }
        }
        Set<String> volumes = new HashSet<>();
        JsonNode vols = spec.path("volumes");
        for (int i = 0; i < vols.size(); i++) {
            validateVolume(out, Fields.index(path + ".volumes", i), vols.get(i), volumes);
        }
        Set<String> names = new HashSet<>();
        JsonNode containers = spec.path("containers");
        if (containers.size() == 0) {
            out.add(Fields.required(path + ".containers"));
        }
        JsonNode inits = spec.path("initContainers");
        for (int i = 0; i < inits.size(); i++) {
            validateContainer(out, Fields.index(path + ".initContainers", i), inits.get(i), names, volumes, true);
        }
        for (int i = 0; i < containers.size(); i++) {
            validateContainer(out, Fields.index(path + ".containers", i), containers.get(i), names, volumes, false);
        }
        String restart = spec.path("restartPolicy").asText("");
        if (restart.isEmpty()) {
            out.add(Fields.required(path + ".restartPolicy"));
        } else if (!RESTART_POLICIES.contains(restart)) {
            out.add(Fields.notSupported(path + ".restartPolicy", restart, RESTART_POLICIES));
        }
        String dns = spec.path("dnsPolicy").asText("");
        if (!dns.isEmpty() && !DNS_POLICIES.contains(dns)) {
            out.add(Fields.notSupported(path + ".dnsPolicy", dns, DNS_POLICIES));
        }
        if ("None".equals(dns) && spec.path("dnsConfig").path("nameservers").size() == 0) {
            out.add(Fields.required(path + ".dnsConfig.nameservers", "must provide at least one DNS nameserver when `dnsPolicy` is None"));
        }
        Fields.labels(out, path + ".nodeSelector", spec.path("nodeSelector"));
        if (spec.has("activeDeadlineSeconds")) {
            JsonNode a = spec.get("activeDeadlineSeconds");
            if (!a.canConvertToLong() || a.asLong() < 1 || a.asLong() > Integer.MAX_VALUE) {
                out.add(Fields.invalid(path + ".activeDeadlineSeconds", a, "must be between 1 and 2147483647, inclusive"));
            }
        }
        String sa = spec.path("serviceAccountName").asText("");
        if (!sa.isEmpty()) {
            out.addAll(Fields.dns1123Subdomain(path + ".serviceAccountName", sa));
        }
        for (String f : new String[] {"hostname", "subdomain"}) {
            String v = spec.path(f).asText("");
            if (!v.isEmpty()) {
                out.addAll(Fields.dns1123Label(path + "." + f, v));
            }
        }
        // upstream's ValidateRuntimeClassName: the class is an object name
        String runtimeClass = spec.path("runtimeClassName").asText("");
        if (spec.hasNonNull("runtimeClassName")) {
            out.addAll(Fields.dns1123Subdomain(path + ".runtimeClassName", runtimeClass));
        }
        String node = spec.path("nodeName").asText("");
        if (!node.isEmpty()) {
            out.addAll(Fields.dns1123Subdomain(path + ".nodeName", node));
        }
        validateTolerations(out, path + ".tolerations", spec.path("tolerations"));
        JsonNode secrets = spec.path("imagePullSecrets");
        for (int i = 0; i < secrets.size(); i++) {
            String n = secrets.get(i).path("name").asText("");
            if (n.isEmpty()) {
                out.add(Fields.required(Fields.index(path + ".imagePullSecrets", i) + ".name"));
            }
        }
        return out;
    }

    private static void validateVolume(List<Cause> out, String p, JsonNode v, Set<String> names) {
        String name = v.path("name").asText("");
        if (name.isEmpty()) {
            out.add(Fields.required(p + ".name"));
        } else {
            out.addAll(Fields.dns1123Label(p + ".name", name));
            if (!names.add(name)) {
                out.add(Fields.duplicate(p + ".name", name));
            }
        }
        int sources = 0;
        for (String s : VOLUME_SOURCES) {
            if (v.hasNonNull(s)) {
                if (++sources > 1) {
                    out.add(Fields.forbidden(p + "." + s, "may not specify more than 1 volume type"));
                }
            }
        }
        if (sources == 0) {
            out.add(Fields.required(p, "must specify a volume type"));
        }
        if (v.has("persistentVolumeClaim") && v.path("persistentVolumeClaim").path("claimName").asText("").isEmpty()) {
            out.add(Fields.required(p + ".persistentVolumeClaim.claimName"));
        }
        if (v.has("configMap") && v.path("configMap").path("name").asText("").isEmpty()) {
            out.add(Fields.required(p + ".configMap.name"));
        }
        if (v.has("hostPath") && v.path("hostPath").path("path").asText("").isEmpty()) {
            out.add(Fields.required(p + ".hostPath.path"));
        }
    }

    /**
     * The ephemeral containers of a pod spec, as upstream's validateEphemeralContainers: a container's checks, names unique
     * across the pod, a targetContainerName that names a container, and none of what an ephemeral container cannot have.
     */
    public static List<Cause> validateEphemeralContainers(JsonNode spec, String path) {
        List<Cause> out = new ArrayList<>();
        Set<String> volumes = new HashSet<>();
        spec.path("volumes").forEach(v -> volumes.add(v.path("name").asText("")));
        Set<String> targets = new HashSet<>();
        for (String kind : List.of("initContainers", "containers")) {
            spec.path(kind).forEach(c -> targets.add(c.path("name").asText("")));
        }
        Set<String> names = new HashSet<>(targets);
        JsonNode list = spec.path("ephemeralContainers");
        for (int i = 0; i < list.size(); i++) {
            String p = Fields.index(path + ".ephemeralContainers", i);
            JsonNode c = list.get(i);
            ObjectNode checked = c.deepCopy();
            // restartPolicy has its own message below, not the app containers' one
            checked.remove("restartPolicy");
            validateContainer(out, p, checked, names, volumes, false);
            for (String f : List.of("ports", "livenessProbe", "readinessProbe", "startupProbe", "lifecycle", "restartPolicy")) {
                if (c.hasNonNull(f) && !(c.get(f).isContainerNode() && c.get(f).isEmpty())) {
                    out.add(Fields.forbidden(p + "." + f, "cannot be set for an Ephemeral Container"));
                }
            }
            if (c.path("resources").path("limits").size() > 0 || c.path("resources").path("requests").size() > 0) {
                out.add(Fields.forbidden(p + ".resources", "cannot be set for an Ephemeral Container"));
            }
            String target = c.path("targetContainerName").asText("");
            if (!target.isEmpty() && !targets.contains(target)) {
                out.add(Fields.notFound(p + ".targetContainerName", target));
            }
        }
        return out;
    }

    private static void validateContainer(List<Cause> out, String p, JsonNode c, Set<String> names, Set<String> volumes, boolean init) {
        String name = c.path("name").asText("");
        if (name.isEmpty()) {
            out.add(Fields.required(p + ".name"));
        } else {
            out.addAll(Fields.dns1123Label(p + ".name", name));
        }
        if (!names.add(name) && !name.isEmpty()) {
            out.add(Fields.duplicate(p + ".name", name));
        }
        String image = c.path("image").asText("");
        if (image.isEmpty()) {
            out.add(Fields.required(p + ".image"));
        } else if (!image.equals(image.strip())) {
            out.add(Fields.invalid(p + ".image", image, "must not have leading or trailing whitespace"));
        }
        String pull = c.path("imagePullPolicy").asText("");
        if (!pull.isEmpty() && !PULL_POLICIES.contains(pull)) {
            out.add(Fields.notSupported(p + ".imagePullPolicy", pull, PULL_POLICIES));
        }
        String msg = c.path("terminationMessagePolicy").asText("");
        if (!msg.isEmpty() && !MESSAGE_POLICIES.contains(msg)) {
            out.add(Fields.notSupported(p + ".terminationMessagePolicy", msg, MESSAGE_POLICIES));
        }
        if (c.hasNonNull("restartPolicy")) {
            String rp = c.get("restartPolicy").asText();
            if (!init) {
                out.add(Fields.forbidden(p + ".restartPolicy", "may not be set for non-init containers"));
            } else if (!rp.equals("Always")) {
                out.add(Fields.notSupported(p + ".restartPolicy", rp, List.of("Always")));
            }
        }
        validatePorts(out, p + ".ports", c.path("ports"));
        JsonNode env = c.path("env");
        for (int i = 0; i < env.size(); i++) {
            String ep = Fields.index(p + ".env", i);
            if (env.get(i).path("name").asText("").isEmpty()) {
                out.add(Fields.required(ep + ".name"));
            }
            JsonNode from = env.get(i).path("valueFrom");
            if (from.isObject()) {
                int n = 0;
                for (String s : new String[] {"fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef"}) {
                    n += from.hasNonNull(s) ? 1 : 0;
                }
                if (n == 0) {
                    out.add(Fields.invalid(ep + ".valueFrom", "", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"));
                } else if (n > 1) {
                    out.add(Fields.invalid(ep + ".valueFrom", "", "may not have more than one field specified at a time"));
                }
                if (env.get(i).hasNonNull("value") && !env.get(i).path("value").asText().isEmpty()) {
                    out.add(Fields.invalid(ep + ".valueFrom", "", "may not be specified when `value` is not empty"));
                }
            }
        }
        JsonNode mounts = c.path("volumeMounts");
        Set<String> paths = new HashSet<>();
        for (int i = 0; i < mounts.size(); i++) {
            String mp = Fields.index(p + ".volumeMounts", i);
            String vol = mounts.get(i).path("name").asText("");
            if (vol.isEmpty()) {
                out.add(Fields.required(mp + ".name"));
            } else if (!volumes.contains(vol)) {
                out.add(Fields.notFound(mp + ".name", vol));
            }
            String path = mounts.get(i).path("mountPath").asText("");
            if (path.isEmpty()) {
                out.add(Fields.required(mp + ".mountPath"));
            } else if (!paths.add(path)) {
                out.add(Fields.invalid(mp + ".mountPath", path, "must be unique"));
            }
        }
        Resources.validateRequirements(out, p + ".resources", c.path("resources"));
        for (String probe : PROBES) {
            if (c.get(probe) instanceof ObjectNode pr) {
                validateProbe(out, p + "." + probe, pr, !probe.equals("readinessProbe"));
            }
        }
    }

    private static void validatePorts(List<Cause> out, String path, JsonNode ports) {
        Set<String> names = new HashSet<>();
        for (int i = 0; i < ports.size(); i++) {
            String pp = Fields.index(path, i);
            JsonNode port = ports.path(i);
            String name = port.path("name").asText("");
            if (!name.isEmpty()) {
                List<Cause> bad = Fields.portName(pp + ".name", name);
                if (!bad.isEmpty()) {
                    out.addAll(bad);
                } else if (!names.add(name)) {
                    out.add(Fields.duplicate(pp + ".name", name));
                }
            }
            JsonNode cp = port.path("containerPort");
            if (cp.isMissingNode() || cp.isNull() || cp.asInt(-1) == 0) {
                out.add(Fields.required(pp + ".containerPort"));
            } else {
                Fields.portNumber(out, pp + ".containerPort", cp);
            }
            JsonNode hp = port.path("hostPort");
            if (!hp.isMissingNode() && !hp.isNull() && hp.asInt(-1) != 0) {
                Fields.portNumber(out, pp + ".hostPort", hp);
            }
            String proto = port.path("protocol").asText("");
            if (proto.isEmpty()) {
                out.add(Fields.required(pp + ".protocol"));
            } else if (!PROTOCOLS.contains(proto)) {
                out.add(Fields.notSupported(pp + ".protocol", proto, PROTOCOLS));
            }
        }
    }

    private static void validateProbe(List<Cause> out, String p, JsonNode probe, boolean successMustBeOne) {
        int handlers = 0;
        for (String h : new String[] {"exec", "httpGet", "tcpSocket", "grpc"}) {
            handlers += probe.hasNonNull(h) ? 1 : 0;
        }
        if (handlers == 0) {
            out.add(Fields.required(p, "must specify a handler type"));
        } else if (handlers > 1) {
            out.add(Fields.forbidden(p, "may not specify more than 1 handler type"));
        }
        if (probe.has("httpGet")) {
            Fields.portNumOrName(out, p + ".httpGet.port", probe.path("httpGet").path("port"));
        }
        if (probe.has("tcpSocket")) {
            Fields.portNumOrName(out, p + ".tcpSocket.port", probe.path("tcpSocket").path("port"));
        }
        for (String f : new String[] {"initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold"}) {
            Fields.nonNegative(out, p + "." + f, probe.path(f));
        }
        if (successMustBeOne && probe.path("successThreshold").asInt(1) != 1) {
            out.add(Fields.invalid(p + ".successThreshold", probe.get("successThreshold"), "must be 1"));
        }
    }

    static void validateTolerations(List<Cause> out, String path, JsonNode tolerations) {
        for (int i = 0; i < tolerations.size(); i++) {
            String tp = Fields.index(path, i);
            JsonNode t = tolerations.path(i);
            String key = t.path("key").asText("");
            String op = t.path("operator").asText("");
            if (!key.isEmpty()) {
                out.addAll(Fields.qualifiedName(tp + ".key", key));
            }
            if (key.isEmpty() && !op.equals("Exists")) {
                out.add(Fields.invalid(tp + ".operator", op, "operator must be Exists when `key` is empty, which means \"match all values and all keys\""));
            }
            switch (op) {
                case "", "Equal" -> out.addAll(Fields.labelValue(tp + ".value", t.path("value").asText("")));
                case "Exists" -> {
                    if (!t.path("value").asText("").isEmpty()) {
                        out.add(Fields.invalid(tp + ".operator", t.get("value"), "value must be empty when `operator` is 'Exists'"));
                    }
                }
                default -> out.add(Fields.notSupported(tp + ".operator", op, List.of("Equal", "Exists")));
            }
            String effect = t.path("effect").asText("");
            if (t.hasNonNull("tolerationSeconds") && !effect.equals("NoExecute")) {
                out.add(Fields.invalid(tp + ".effect", effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"));
            }
            if (!effect.isEmpty() && !TAINT_EFFECTS.contains(effect)) {
                out.add(Fields.notSupported(tp + ".effect", effect, TAINT_EFFECTS));
            }
        }
    }
}
