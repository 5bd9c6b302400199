package io.kuberaft.nodeagent.runtime;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class ContainerLogFileTest {
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-23T10:00:00Z"), ZoneOffset.UTC);

    private static byte[] line(int i) {
        return CriLog.format(CLOCK.instant(), "stdout", "line-" + i, false).getBytes(StandardCharsets.UTF_8);
    }

    /** What a reader following from {@code from} gets, file by file, until it has caught up. */
    private static String readFrom(ContainerLogFile log, long from) throws Exception {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        long offset = from;
        for (ContainerRuntime.LogChunk c = log.read(offset, 1 << 20); c.bytes().length > 0; c = log.read(offset, 1 << 20)) {
            all.write(c.bytes());
            offset = c.from() + c.bytes().length;
        }
        return all.toString(StandardCharsets.UTF_8);
    }

    private static List<String> texts(String log) {
        return log.lines().map(l -> l.substring(l.lastIndexOf(' ') + 1)).toList();
    }

    private static List<String> files(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void rotatesAtTheSizeKeepsMaxFilesAndShowsTheCurrentFileFromItsStart(@TempDir Path dir) throws Exception {
        int entry = line(0).length; // every line-N entry below 10 has this size
        ContainerLogFile log = new ContainerLogFile(dir.resolve("0.log"), 3L * entry, 3, CLOCK);
        for (int i = 0; i < 8; i++) {
            log.append(line(i));
        }
        // 0-2 | 3-5 | 6-7: three files of at most three entries; nothing rotated away yet
        assertThat(files(dir)).containsExactly("0.log", "0.log.20261123-100000", "0.log.20261123-100000.1");
        assertThat(log.currentStart()).isEqualTo(6L * entry);
        assertThat(texts(Files.readString(dir.resolve("0.log")))).containsExactly("line-6", "line-7");
        assertThat(texts(new String(log.read(log.currentStart(), 1 << 20).bytes(), StandardCharsets.UTF_8))).containsExactly("line-6", "line-7");

        log.append(line(8));
        log.append(line(9)); // rotates again: the oldest file (0-2) goes
        assertThat(files(dir)).hasSize(3).doesNotContain("0.log.20261123-100000");
        assertThat(log.currentStart()).isEqualTo(9L * entry);
        // a reader at 0 fell behind every kept file: it reads on from the oldest one kept, told where that starts
        assertThat(log.read(0, 1 << 20).from()).isEqualTo(3L * entry);
        assertThat(texts(readFrom(log, 0))).containsExactly("line-3", "line-4", "line-5", "line-6", "line-7", "line-8", "line-9");
        log.close();
    }

    @Test
    void aFollowerReadsAcrossRotationsWithoutLosingOrRepeatingALine(@TempDir Path dir) throws Exception {
        ContainerLogFile log = new ContainerLogFile(dir.resolve("1.log"), 200, 2, CLOCK);
        List<String> seen = new ArrayList<>();
        long offset = log.currentStart();
        for (int i = 0; i < 500; i++) {
            log.append(line(i));
            if (i % 3 == 2) { // the follower polls every few lines, as the agent's log follow does
                String chunk = readFrom(log, offset);
                offset += chunk.getBytes(StandardCharsets.UTF_8).length;
                seen.addAll(texts(chunk));
            }
        }
        seen.addAll(texts(readFrom(log, offset)));
        assertThat(seen).hasSize(500);
        for (int i = 0; i < 500; i++) {
            assertThat(seen.get(i)).isEqualTo("line-" + i);
        }
        assertThat(files(dir)).hasSize(2);
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s.mapToLong(p -> p.toFile().length()).max().orElseThrow()).isLessThanOrEqualTo(200);
        }
    }

    @Test
    void anEntryLargerThanTheLimitIsWrittenWholeInAFileOfItsOwn(@TempDir Path dir) throws Exception {
        ContainerLogFile log = new ContainerLogFile(dir.resolve("0.log"), 10, 5, CLOCK);
        log.append(line(1));
        log.append(line(2));
        assertThat(texts(readFrom(log, 0))).containsExactly("line-1", "line-2");
        assertThat(texts(new String(log.read(log.currentStart(), 1 << 20).bytes(), StandardCharsets.UTF_8))).containsExactly("line-2");
    }
}
