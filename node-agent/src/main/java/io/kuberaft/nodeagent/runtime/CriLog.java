package io.kuberaft.nodeagent.runtime;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.temporal.ChronoField;

/**
 * The CRI log format the runtimes write (as containerd and CRI-O do): one line per line the container
 * printed, {@code <RFC3339Nano time> <stdout|stderr> <F|P> <text>}, where {@code P} marks a partial line
 * (printed without a newline) that the next entry continues.
 */
public final class CriLog {
    /** RFC3339Nano: up to nine fraction digits, trailing zeros dropped, as Go prints it. */
    public static final DateTimeFormatter RFC3339_NANO = new DateTimeFormatterBuilder()
            .appendPattern("yyyy-MM-dd'T'HH:mm:ss").appendFraction(ChronoField.NANO_OF_SECOND, 0, 9, true)
            .appendLiteral('Z').toFormatter().withZone(ZoneOffset.UTC);

    private CriLog() {
    }

    /** One entry: the line without its newline. */
    public record Line(Instant time, String stream, boolean partial, String text) {
        /** What {@code kubectl logs} shows for it, with the time first when {@code timestamps}. */
        public String render(boolean timestamps) {
            String s = partial ? text : text + "\n";
            return timestamps ? RFC3339_NANO.format(time) + " " + s : s;
        }
    }

    public static String format(Instant time, String stream, String text, boolean partial) {
        return RFC3339_NANO.format(time) + " " + stream + " " + (partial ? "P " : "F ") + text + "\n";
    }

    /** Parses one entry (without its trailing newline); a line not in the format is taken as stdout text. */
    public static Line parse(String line) {
        int a = line.indexOf(' ');
        int b = a < 0 ? -1 : line.indexOf(' ', a + 1);
        int c = b < 0 ? -1 : line.indexOf(' ', b + 1);
        if (c > 0) {
            try {
                Instant t = Instant.from(RFC3339_NANO.parse(line.substring(0, a)));
                String tag = line.substring(b + 1, c);
                return new Line(t, line.substring(a + 1, b), tag.equals("P"), line.substring(c + 1));
            } catch (RuntimeException e) {
                // not an entry: falls through
            }
        }
        return new Line(Instant.EPOCH, "stdout", false, line);
    }
}
