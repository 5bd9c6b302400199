package io.kuberaft.nodeagent.runtime;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.concurrent.CountDownLatch;

/**
 * Copies a process's stdout and stderr into its log (the process runtime's rotated file, a simulated shell's memory) in
 * the {@link CriLog} format, one thread per stream (as containerd's shim does): each line gets the time it was read. A
 * line longer than 16 KiB, or the end of the output without a newline, is written as a partial entry.
 */
final class LogPump {
    private static final Logger LOG = LoggerFactory.getLogger(LogPump.class);
    private static final int MAX_LINE = 16 * 1024;
    private final Sink out;
    private final Clock clock;

    /** Where the entries go. */
    interface Sink {
        void append(byte[] entry) throws IOException;

        /** After both streams have ended. */
        void close() throws IOException;
    }

    private LogPump(Sink out, Clock clock) {
        this.out = out;
        this.clock = clock;
    }

    /**
     * Starts the two copiers; {@code drained} counts down once per stream at its end (the sink is closed after both).
     * The output of an {@code interactive} process (on a terminal, a shell) is logged as it comes, a line not yet ended
     * being a partial entry: an interactive program's prompt has no newline, and {@code attach} reads the log.
     */
    static void start(Process p, Sink out, Clock clock, CountDownLatch drained, String id, boolean interactive) {
        LogPump pump = new LogPump(out, clock);
        CountDownLatch both = new CountDownLatch(2);
        for (String stream : new String[]{"stdout", "stderr"}) {
            InputStream in = stream.equals("stdout") ? p.getInputStream() : p.getErrorStream();
            Thread t = new Thread(() -> {
                try {
                    pump.copy(in, stream, interactive);
                } catch (IOException e) {
                    LOG.debug("event=log-pump-ended container={} stream={} error={}", id, stream, e.toString());
                } finally {
                    both.countDown();
                    if (both.getCount() == 0) {
                        try {
                            out.close();
                        } catch (IOException e) {
                            LOG.warn("event=log-close-failed container={} error={}", id, e.toString());
                        }
                    }
                    drained.countDown();
                }
            }, "log-" + stream + "-" + id);
            t.setDaemon(true);
            t.start();
        }
    }

    private void copy(InputStream in, String stream, boolean flushPartial) throws IOException {
        byte[] buf = new byte[8192];
        java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();
        int n;
        while ((n = in.read(buf)) >= 0) {
            for (int i = 0; i < n; i++) {
                if (buf[i] == '\n') {
                    write(stream, line, false);
                } else {
                    line.write(buf[i]);
                    if (line.size() >= MAX_LINE) {
                        write(stream, line, true);
                    }
                }
            }
            if (flushPartial && line.size() > 0) {
                flushComplete(stream, line);
            }
        }
        if (line.size() > 0) {
            write(stream, line, true);
        }
    }

    /** Writes {@code line} as a partial entry but for the start of a UTF-8 character whose other bytes are still to come. */
    private void flushComplete(String stream, java.io.ByteArrayOutputStream line) throws IOException {
        byte[] b = line.toByteArray();
        int complete = completeUtf8(b);
        if (complete == 0) {
            return;
        }
        line.reset();
        line.write(b, 0, complete);
        write(stream, line, true);
        line.write(b, complete, b.length - complete);
    }

    /** How many of {@code b}'s bytes end on a UTF-8 character boundary. */
    static int completeUtf8(byte[] b) {
        int i = b.length - 1;
        while (i >= 0 && b.length - i <= 3 && (b[i] & 0xC0) == 0x80) {
            i--;
        }
        if (i < 0) {
            return b.length;
        }
        int lead = b[i] & 0xFF;
        int length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
        return b.length - i < length ? i : b.length;
    }

    private void write(String stream, java.io.ByteArrayOutputStream line, boolean partial) throws IOException {
        String entry = CriLog.format(clock.instant(), stream, line.toString(StandardCharsets.UTF_8), partial);
        line.reset();
        out.append(entry.getBytes(StandardCharsets.UTF_8));
    }
}
