package io.kuberaft.nodeagent.runtime;

import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * One container run's log file, rotated as the kubelet's container log manager does: when the file would grow past
 * {@code maxBytes} it is renamed {@code <file>.<yyyyMMdd-HHmmss>} and a new one started; at most {@code maxFiles}
 * files are kept, the oldest rotated one deleted first. Rotation happens between two entries, so every file holds
 * whole CRI lines.
 *
 * <p>Offsets are logical: byte {@code n} of everything the run ever wrote, across rotations. {@code kubectl logs}
 * reads from {@link #currentStart()} (upstream shows the current file only); a follower keeps its offset and reads
 * on into the next file, losing nothing unless it falls more than the kept files behind.
 */
final class ContainerLogFile implements LogPump.Sink {
    private static final DateTimeFormatter ROTATED = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

    private record Segment(Path path, long start, long length) {
    }

    private final Path current;
    private final long maxBytes;
    private final int maxFiles;
    private final Clock clock;
    /** Rotated files, oldest first. */
    private final Deque<Segment> rotated = new ArrayDeque<>();
    private OutputStream out;
    private long currentStart;
    private long currentLength;

    ContainerLogFile(Path current, long maxBytes, int maxFiles, Clock clock) throws IOException {
        this.current = current;
        this.maxBytes = maxBytes;
        this.maxFiles = maxFiles;
        this.clock = clock;
        this.out = Files.newOutputStream(current, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        this.currentLength = Files.size(current);
    }

    Path path() {
        return current;
    }

    public synchronized void append(byte[] entry) throws IOException {
        if (currentLength > 0 && currentLength + entry.length > maxBytes) {
            rotate();
        }
        out.write(entry);
        out.flush();
        currentLength += entry.length;
    }

    private void rotate() throws IOException {
        out.close();
        String stamp = ROTATED.format(clock.instant());
        Path to = current.resolveSibling(current.getFileName() + "." + stamp);
        for (int i = 1; Files.exists(to); i++) { // several rotations in one second
            to = current.resolveSibling(current.getFileName() + "." + stamp + "." + i);
        }
        Files.move(current, to);
        rotated.addLast(new Segment(to, currentStart, currentLength));
        while (rotated.size() > maxFiles - 1) {
            Files.deleteIfExists(rotated.removeFirst().path());
        }
        currentStart += currentLength;
        currentLength = 0;
        out = Files.newOutputStream(current, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    /** The logical offset where the current file begins. */
    synchronized long currentStart() {
        return currentStart;
    }

    /**
     * What was written from logical offset {@code from} to the end of the file holding it (at most {@code max} bytes);
     * empty at the end. An offset older than every kept file reads from the oldest one (the chunk says where).
     */
    synchronized ContainerRuntime.LogChunk read(long from, int max) throws IOException {
        for (Segment s : rotated) {
            if (from < s.start() + s.length()) {
                long at = Math.max(from, s.start());
                return new ContainerRuntime.LogChunk(at, slice(s.path(), at - s.start(), s.length(), max));
            }
        }
        long at = Math.max(from, currentStart);
        return new ContainerRuntime.LogChunk(at, slice(current, at - currentStart, currentLength, max));
    }

    private static byte[] slice(Path file, long at, long length, int max) throws IOException {
        if (at >= length) {
            return new byte[0];
        }
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            byte[] b = new byte[(int) Math.min(length - at, max)];
            f.seek(at);
            f.readFully(b);
            return b;
        }
    }

    public synchronized void close() throws IOException {
        out.close();
    }
}
