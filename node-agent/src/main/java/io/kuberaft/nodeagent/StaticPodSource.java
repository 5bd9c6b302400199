package io.kuberaft.nodeagent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.Pod;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Static pods ({@code --pod-manifest-path DIR}), as the kubelet's file source: every {@code *.yaml}, {@code *.yml}
 * or {@code *.json} file in DIR holds one Pod, run on this node as {@code <name>-<node>} whatever the API server
 * says. Its UID is the hash of the manifest and the node (a changed file is a new pod), and it carries the
 * annotations {@code kubernetes.io/config.source: file}, {@code kubernetes.io/config.hash} and
 * {@code kubernetes.io/config.seen}. The API server only sees its mirror pod ({@link PodManager}).
 */
final class StaticPodSource {
    private static final Logger LOG = LoggerFactory.getLogger(StaticPodSource.class);
    static final String SOURCE = "kubernetes.io/config.source";
    static final String HASH = "kubernetes.io/config.hash";
    static final String SEEN = "kubernetes.io/config.seen";
    static final String MIRROR = "kubernetes.io/config.mirror";
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private final Path dir;
    private final String node;
    private final Clock clock;
    private final Map<String, String> seen = new HashMap<>();
    private final Map<Path, String> broken = new HashMap<>();

    StaticPodSource(Path dir, String node, Clock clock) {
        this.dir = dir;
        this.node = node;
        this.clock = clock;
    }

    /** The static pods the directory holds now, by UID. */
    Map<String, Pod> scan() {
        Map<String, Pod> out = new HashMap<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> {
                String n = p.getFileName().toString();
                return !n.startsWith(".") && (n.endsWith(".yaml") || n.endsWith(".yml") || n.endsWith(".json")) && Files.isRegularFile(p);
            }).sorted().toList();
        } catch (IOException e) {
            LOG.warn("event=static-pods-unreadable dir={} error={}", dir, e.toString());
            return out;
        }
        for (Path f : files) {
            try {
                String text = Files.readString(f);
                Pod p = pod(text, f);
                out.put(p.getMetadata().getUid(), p);
                broken.remove(f);
            } catch (IOException | RuntimeException e) {
                String msg = e.getMessage();
                if (!String.valueOf(msg).equals(broken.put(f, String.valueOf(msg)))) {
                    LOG.warn("event=static-pod-invalid file={} error={}", f, msg);
                }
            }
        }
        return out;
    }

    private Pod pod(String text, Path file) throws IOException {
        JsonNode doc = YAML.readTree(text);
        if (doc == null || !doc.isObject()) {
            throw new IOException("not a Pod manifest");
        }
        ObjectNode o = (ObjectNode) doc;
        if (!"Pod".equals(o.path("kind").asText()) || !o.path("apiVersion").asText("v1").equals("v1")) {
            throw new IOException("kind must be Pod (apiVersion v1), got " + o.path("apiVersion").asText() + "/" + o.path("kind").asText());
        }
        ObjectNode meta = o.with("metadata");
        String name = meta.path("name").asText("");
        if (name.isEmpty()) {
            throw new IOException("metadata.name is required");
        }
        if (!o.path("spec").path("containers").isArray() || o.path("spec").path("containers").isEmpty()) {
            throw new IOException("spec.containers: at least one container is required");
        }
        String hash = hash(node + "\n" + text);
        meta.put("name", name + "-" + node);
        if (meta.path("namespace").asText("").isEmpty()) {
            meta.put("namespace", "default");
        }
        meta.put("uid", hash);
        ObjectNode ann = meta.with("annotations");
        ann.put(SOURCE, "file");
        ann.put(HASH, hash);
        ann.put(SEEN, seen.computeIfAbsent(hash, h -> clock.instant().toString()));
        ObjectNode spec = o.with("spec");
        spec.put("nodeName", node);
        if (!spec.has("restartPolicy")) {
            spec.put("restartPolicy", "Always");
        }
        if (!spec.has("terminationGracePeriodSeconds")) {
            spec.put("terminationGracePeriodSeconds", 30);
        }
        o.remove("status");
        o.put("kind", "Pod").put("apiVersion", "v1");
        LOG.debug("event=static-pod-read file={} pod={}", file, meta.path("name").asText());
        return PodWorker.JSON.convertValue(o, Pod.class);
    }

    static String hash(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8))).substring(0, 32);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static boolean isMirror(Pod p) {
        return p.getMetadata().getAnnotations() != null && p.getMetadata().getAnnotations().containsKey(MIRROR);
    }
}
