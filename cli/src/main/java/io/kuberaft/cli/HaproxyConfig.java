package io.kuberaft.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The HAProxy configuration of `up --lb haproxy`: TCP pass-through of TLS to every replica's API,
 * a replica in rotation while its /readyz answers 200 (checked every second over TLS); when none is, every replica
 * as an unchecked backup.
 */
final class HaproxyConfig {
    private HaproxyConfig() {
    }

    /** The haproxy binary, or null when it is not installed. */
    static String binary() {
        for (String p : List.of("/usr/sbin/haproxy", "/usr/bin/haproxy", "/usr/local/sbin/haproxy")) {
            if (Files.isExecutable(Path.of(p))) {
                return p;
            }
        }
        return null;
    }

    static Path write(Path clusterDir, String listen, List<ClusterFile.Master> masters) throws IOException {
        StringBuilder b = new StringBuilder();
        b.append("# written by kuberaft up --lb haproxy\n")
                .append("global\n  maxconn 4096\n\n")
                .append("defaults\n  mode tcp\n  timeout connect 2s\n  timeout client 1h\n  timeout server 1h\n")
                .append("  timeout check 2s\n  option redispatch\n  retries 2\n\n")
                .append("frontend kube-apiserver\n  bind ").append(listen).append("\n  default_backend masters\n\n")
                .append("backend masters\n  balance roundrobin\n  option httpchk GET /readyz\n  http-check expect status 200\n")
                .append("  default-server check check-ssl verify none inter 1s fall 2 rise 1 on-marked-down shutdown-sessions\n");
        for (ClusterFile.Master m : masters) {
            b.append("  server ").append(m.id).append(' ').append(m.apiUrl.replaceFirst("^https://", "")).append('\n');
        }
        // When no replica is ready (no Raft quorum), the same replicas unchecked as backups: a client then reads a
        // replica's 503 Status with Retry-After instead of a closed connection (retries + redispatch skip dead ones).
        b.append("  option allbackups\n");
        for (ClusterFile.Master m : masters) {
            b.append("  server ").append(m.id).append("-unready ").append(m.apiUrl.replaceFirst("^https://", "")).append(" backup no-check\n");
        }
        Path p = clusterDir.resolve("haproxy.cfg");
        Files.writeString(p, b.toString());
        return p;
    }
}
