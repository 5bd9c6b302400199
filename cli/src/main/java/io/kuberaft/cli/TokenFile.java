package io.kuberaft.cli;

import io.kuberaft.apiserver.auth.UserInfo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** kube-apiserver's --token-auth-file: one {@code token,user,uid[,"group1,group2"]} per line. */
final class TokenFile {
    private TokenFile() {
    }

    static Map<String, UserInfo> read(Path file) throws IOException {
        Map<String, UserInfo> out = new HashMap<>();
        if (file == null) {
            return out;
        }
        for (String line : Files.readAllLines(file)) {
            String l = line.trim();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            String[] parts = l.split(",", 4);
            if (parts.length < 3) {
                throw new IOException("bad line in " + file + ": expected token,user,uid");
            }
            List<String> groups = parts.length == 4
                    ? Arrays.stream(parts[3].trim().replace("\"", "").split(",")).map(String::trim).filter(g -> !g.isEmpty()).toList()
                    : List.of();
            out.put(parts[0].trim(), UserInfo.authenticated(parts[1].trim(), parts[2].trim(), groups, Map.of()));
        }
        return out;
    }
}
