package io.kuberaft.cli;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code DIR/cluster.json}: the local-cluster contract other tools and tests rely on (raft-store
 * issue, section 2). Fields are public and named as in the contract.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public final class ClusterFile {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public List<Master> masters = new ArrayList<>();
    public List<Agent> agents = new ArrayList<>();
    public LoadBalancer loadBalancer;
    public String kubeconfig;
    /** Flags `up` passed to every replica, kept so `up` after `down` restarts the same cluster. */
    public List<String> serverArgs = new ArrayList<>();
    /** Flags `up --agent-arg` passed to every agent, kept so restarted agents get them too. */
    public List<String> agentArgs = new ArrayList<>();
    /** Extra names of the serving certificate (`up --tls-san`), kept so a restart issues no certificate without them. */
    public List<String> tlsSans = new ArrayList<>();

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public static final class Master {
        public String id;
        public long pid;
        public String raftAddress;
        public String etcdEndpoint;
        public String apiUrl;
        public String metricsUrl;
        public String dataDir;
        public String logFile;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public static final class Agent {
        public String name;
        public long pid;
        public String logFile;
        /** simulated or process */
        public String runtime;
        /** the agent API (HTTPS) port */
        public int apiPort;
        public String rootDir;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public static final class LoadBalancer {
        public long pid;
        public String url;
        /** "builtin" (`kuberaft lb`) or "haproxy". */
        public String kind;
    }

    static Path path(Path dir) {
        return dir.resolve("cluster.json");
    }

    static ClusterFile read(Path dir) throws IOException {
        return JSON.readValue(path(dir).toFile(), ClusterFile.class);
    }

    static boolean exists(Path dir) {
        return Files.isRegularFile(path(dir));
    }

    /** Written to a temporary file and renamed, so a reader never sees half a file. */
    void write(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path tmp = dir.resolve("cluster.json.tmp");
        JSON.writeValue(tmp.toFile(), this);
        Files.move(tmp, path(dir), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    String peersSpec() {
        StringBuilder b = new StringBuilder();
        for (Master m : masters) {
            if (b.length() > 0) {
                b.append(',');
            }
            b.append(m.id).append('=').append(m.raftAddress);
        }
        return b.toString();
    }

    Master master(String id) {
        return masters.stream().filter(m -> m.id.equals(id)).findFirst().orElse(null);
    }
}
