package io.kuberaft.nodeagent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.kuberaft.kubeapi.Quantity;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * A kubelet {@code --config} file ({@code kubelet.config.k8s.io/v1beta1} {@code KubeletConfiguration}) as far as the
 * agent has the setting; fields it has no use for (cgroups, swap, the CRI endpoint, authorization modes...) are
 * listed in {@link #ignored()} and logged, as the kubelet logs the fields its lenient decoding dropped. Absent
 * fields are null: command-line flags and the agent's defaults apply, and flags given explicitly win over the file,
 * as upstream.
 */
public record KubeletConfigFile(String staticPodPath, String address, Integer port, Integer readOnlyPort, Boolean enableServer,
                                Long containerLogMaxBytes, Integer containerLogMaxFiles, Integer maxPods,
                                Integer nodeLeaseDurationSeconds, List<Flags.Taint> registerWithTaints, String clientCAFile,
                                List<String> ignored) {
    private static final Set<String> API_VERSIONS = Set.of("kubelet.config.k8s.io/v1beta1", "kubelet.config.k8s.io/v1");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    /** Reads {@code file}; anything unreadable or mistyped is an {@link IllegalArgumentException} saying which field. */
    public static KubeletConfigFile read(Path file) {
        JsonNode root;
        try {
            root = YAML.readTree(Files.readString(file));
        } catch (IOException e) {
            throw new IllegalArgumentException(fail(file, e.getMessage()));
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(fail(file, "not a KubeletConfiguration object"));
        }
        String apiVersion = root.path("apiVersion").asText();
        String kind = root.path("kind").asText();
        if (!kind.equals("KubeletConfiguration") || !API_VERSIONS.contains(apiVersion)) {
            throw new IllegalArgumentException(fail(file, "failed to decode: no kind \"" + kind + "\" is registered for version \""
                    + apiVersion + "\" (want kubelet.config.k8s.io/v1beta1 KubeletConfiguration)"));
        }
        List<String> ignored = new ArrayList<>();
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!KNOWN.contains(f)) {
                ignored.add(f);
            }
        }
        JsonNode x509 = root.path("authentication").path("x509");
        for (Iterator<String> it = root.path("authentication").fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!f.equals("x509")) {
                ignored.add("authentication." + f);
            }
        }
        return new KubeletConfigFile(text(file, root, "staticPodPath"), text(file, root, "address"), port(file, root, "port"),
                port(file, root, "readOnlyPort"), bool(file, root, "enableServer"), size(file, root), positive(file, root, "containerLogMaxFiles"),
                positive(file, root, "maxPods"), positive(file, root, "nodeLeaseDurationSeconds"), taints(file, root),
                text(file, x509, "clientCAFile"), ignored);
    }

    /** The top-level fields the agent applies (authentication only for its x509.clientCAFile). */
    private static final Set<String> KNOWN = Set.of("apiVersion", "kind", "staticPodPath", "address", "port", "readOnlyPort", "enableServer",
            "containerLogMaxSize", "containerLogMaxFiles", "maxPods", "nodeLeaseDurationSeconds", "registerWithTaints", "authentication");

    private static String fail(Path file, String why) {
        return "failed to load Kubelet config file " + file + ": " + why;
    }

    private static JsonNode field(Path file, JsonNode obj, String name, boolean ok) {
        JsonNode v = obj.get(name);
        if (v != null && !v.isNull() && !ok) {
            throw new IllegalArgumentException(fail(file, "field " + name + ": wrong type " + v.getNodeType().name().toLowerCase()));
        }
        return v == null || v.isNull() ? null : v;
    }

    private static String text(Path file, JsonNode obj, String name) {
        JsonNode v = obj.get(name);
        return field(file, obj, name, v == null || v.isTextual()) == null ? null : v.asText();
    }

    private static Boolean bool(Path file, JsonNode obj, String name) {
        JsonNode v = obj.get(name);
        return field(file, obj, name, v == null || v.isBoolean()) == null ? null : v.asBoolean();
    }

    private static Integer integer(Path file, JsonNode obj, String name) {
        JsonNode v = obj.get(name);
        return field(file, obj, name, v == null || v.canConvertToInt() && v.isIntegralNumber()) == null ? null : v.asInt();
    }

    private static Integer port(Path file, JsonNode obj, String name) {
        Integer p = integer(file, obj, name);
        if (p != null && (p < 0 || p > 65535)) {
            throw new IllegalArgumentException(fail(file, name + " (" + p + ") must be between 0 and 65535, inclusive"));
        }
        return p;
    }

    private static Integer positive(Path file, JsonNode obj, String name) {
        Integer n = integer(file, obj, name);
        if (n != null && n <= 0) {
            throw new IllegalArgumentException(fail(file, name + " (" + n + ") must be greater than 0"));
        }
        return n;
    }

    private static Long size(Path file, JsonNode root) {
        String s = text(file, root, "containerLogMaxSize");
        if (s == null) {
            return null;
        }
        long bytes;
        try {
            bytes = Quantity.parse(s).value();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(fail(file, "containerLogMaxSize (" + s + "): " + e.getMessage()));
        }
        if (bytes <= 0) {
            throw new IllegalArgumentException(fail(file, "containerLogMaxSize (" + s + ") must be greater than 0"));
        }
        return bytes;
    }

    private static List<Flags.Taint> taints(Path file, JsonNode root) {
        JsonNode list = root.get("registerWithTaints");
        if (list == null || list.isNull()) {
            return null;
        }
        if (!list.isArray()) {
            throw new IllegalArgumentException(fail(file, "field registerWithTaints: wrong type " + list.getNodeType().name().toLowerCase()));
        }
        StringBuilder spec = new StringBuilder();
        for (JsonNode t : list) {
            if (!spec.isEmpty()) {
                spec.append(',');
            }
            spec.append(t.path("key").asText());
            if (!t.path("value").asText().isEmpty()) {
                spec.append('=').append(t.path("value").asText());
            }
            spec.append(':').append(t.path("effect").asText());
        }
        try {
            return Flags.taints(spec.toString());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(fail(file, e.getMessage().replace("--register-with-taints", "registerWithTaints")));
        }
    }
}
