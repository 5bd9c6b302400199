package io.kuberaft.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** kube-apiserver's --token-auth-file: one {@code token,user,uid[,"groups"]} per line. */
final class TokenFile {
    private TokenFile() {
    }

    static Map<String, String> read(Path file) throws IOException {
        Map<String, String> out = new HashMap<>();
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
            out.put(parts[0].trim(), parts[1].trim());
        }
        return out;
    }
}
