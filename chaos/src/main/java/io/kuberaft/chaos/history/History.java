package io.kuberaft.chaos.history;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * An append-only, thread-safe history of operations; written and read as JSON lines
 * ({@code {"process","type","f","key","value","time"}}).
 */
public final class History {
    public static final ObjectMapper JSON = new ObjectMapper();
    public static final JsonNodeFactory N = JsonNodeFactory.instance;

    private final List<Op> ops = Collections.synchronizedList(new ArrayList<>());
    private final long start;

    public History() {
        this(System.nanoTime());
    }

    public History(long startNanos) {
        this.start = startNanos;
    }

    public long now() {
        return System.nanoTime() - start;
    }

    public long startNanos() {
        return start;
    }

    public Op add(Op op) {
        ops.add(op);
        return op;
    }

    public List<Op> ops() {
        synchronized (ops) {
            return List.copyOf(ops);
        }
    }

    public void write(Path file) throws IOException {
        try (BufferedWriter w = Files.newBufferedWriter(file)) {
            for (Op op : ops()) {
                w.write(JSON.writeValueAsString(op));
                w.newLine();
            }
        }
    }

    public static List<Op> read(Path file) throws IOException {
        List<Op> out = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            if (!line.isBlank()) {
                out.add(JSON.readValue(line, Op.class));
            }
        }
        return out;
    }

    /** A value as JSON: null, a long, or a list of longs. */
    public static JsonNode v(Object value) {
        return JSON.valueToTree(value);
    }
}
