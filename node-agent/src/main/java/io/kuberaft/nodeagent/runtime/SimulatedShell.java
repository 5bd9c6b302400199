package io.kuberaft.nodeagent.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code kubectl exec -it POD -- sh} in a simulated container, or the process of a container with stdin whose command
 * is a shell ({@code kubectl run -it … -- sh}, fed by attach): a shell that reads command lines from the client and
 * plays each one as {@link SimulatedCommand} plays {@code sh -c LINE} on the container's files, in one
 * {@link SimulatedCommand.Session} (so {@code cd}, variables and {@code $?} carry from line to line), until {@code exit} or
 * the end of its input. With a terminal ({@code -t}) it is also the terminal: it prints the prompt of the image's shell
 * ({@code / # } for busybox and alpine, {@code root@HOST:/# } otherwise, with the working directory), echoes what is typed, and handles Enter,
 * Backspace, Ctrl-C and Ctrl-D (kubectl puts the user's terminal in raw mode and sends every key as it is typed).
 */
final class SimulatedShell extends SimulatedProcess {
    private static final Pattern EXIT = Pattern.compile("\\s*exit(?:\\s+(\\d+))?\\s*;?\\s*");
    private final Function<String, Played> play;
    private final boolean tty;
    private final java.util.function.Supplier<String> prompt;
    /** What the client typed, in chunks; {@link #EOF} once its stdin is closed (a queue: any thread may write it). */
    private final LinkedBlockingQueue<byte[]> input = new LinkedBlockingQueue<>();
    private static final byte[] EOF = new byte[0];
    private final OutputStream stdin = new OutputStream() {
        @Override
        public void write(int b) {
            input.add(new byte[]{(byte) b});
        }

        @Override
        public void write(byte[] b, int off, int len) {
            if (len > 0) {
                input.add(Arrays.copyOfRange(b, off, off + len));
            }
        }

        @Override
        public void close() {
            input.add(EOF);
        }
    };
    private final PipedInputStream stdout = new PipedInputStream(64 * 1024);
    private final PipedInputStream stderr = new PipedInputStream(64 * 1024);
    private final OutputStream out;
    private final OutputStream err;
    private final CountDownLatch done = new CountDownLatch(1);
    private final Thread thread;
    private volatile int exitCode;
    private int status;

    /** What one command line did: its output lines (stderr when {@code err}) and exit status; null when not simulated. */
    record Played(List<SimulatedCommand.Run.Line> lines, int status) {
    }

    /** @param play plays one line as {@code sh -c LINE}, null when the simulation does not understand it */
    SimulatedShell(Function<String, Played> play, boolean tty, java.util.function.Supplier<String> prompt) {
        this.play = play;
        this.tty = tty;
        this.prompt = prompt;
        try {
            out = new PipedOutputStream(stdout);
            err = new PipedOutputStream(stderr);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        thread = new Thread(this::run, "simulated-shell");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        try {
            StringBuilder line = new StringBuilder();
            write(out, tty ? prompt.get() : "");
            for (int c = read(); c >= 0; c = read()) {
                if (c == '\r' || c == '\n') {
                    if (tty) {
                        write(out, "\r\n");
                    } else if (c == '\r') {
                        continue; // CRLF input
                    }
                    String command = line.toString();
                    line.setLength(0);
                    if (!execute(command)) {
                        return;
                    }
                    write(out, tty ? prompt.get() : "");
                } else if (tty && (c == 0x7f || c == 0x08)) {
                    if (!line.isEmpty()) {
                        line.setLength(line.length() - 1);
                        write(out, "\b \b");
                    }
                } else if (tty && c == 0x03) {
                    line.setLength(0);
                    write(out, "^C\r\n" + prompt.get());
                } else if (tty && c == 0x04) {
                    if (line.isEmpty()) {
                        write(out, "exit\r\n");
                        return;
                    }
                } else if (c >= 0x20 || c == '\t') {
                    line.append((char) c);
                    if (tty) {
                        out.write(c);
                        out.flush();
                    }
                }
            }
            if (!line.isEmpty()) {
                execute(line.toString());
            }
        } catch (IOException e) {
            // the client went
        } catch (InterruptedException e) {
            // destroyed
        } finally {
            exitCode = status;
            close(out);
            close(err);
            done.countDown();
        }
    }

    private byte[] chunk = EOF;
    private int at;

    /** The next byte typed, -1 at the end of the input. */
    private int read() throws InterruptedException {
        while (at >= chunk.length) {
            chunk = input.take();
            at = 0;
            if (chunk == EOF) {
                input.add(EOF); // stays at the end
                return -1;
            }
        }
        return chunk[at++] & 0xff;
    }

    /** Plays one command line; false when it was {@code exit}. */
    private boolean execute(String command) throws IOException {
        Matcher exit = EXIT.matcher(command);
        if (exit.matches()) {
            status = exit.group(1) == null ? status : Integer.parseInt(exit.group(1)) & 0xff;
            return false;
        }
        if (command.isBlank()) {
            return true;
        }
        Played p = play.apply(command);
        if (p == null) {
            write(tty ? out : err, "sh: " + command.trim() + ": not simulated (the simulated runtime plays echo, env, printenv, hostname, date, "
                    + "cat, ls, rm, touch, cd, pwd, export, > and >>, sleep; use --runtime process)" + (tty ? "\r\n" : "\n"));
            status = 127;
            return true;
        }
        for (SimulatedCommand.Run.Line l : p.lines()) {
            write(l.err() && !tty ? err : out, l.written(tty ? "\r\n" : "\n"));
        }
        status = p.status();
        return true;
    }

    private static void write(OutputStream to, String s) throws IOException {
        if (!s.isEmpty()) {
            to.write(s.getBytes(StandardCharsets.UTF_8));
            to.flush();
        }
    }

    private static void close(OutputStream o) {
        try {
            o.close();
        } catch (IOException e) {
            // closed
        }
    }

    @Override
    public OutputStream getOutputStream() {
        return stdin;
    }

    @Override
    public InputStream getInputStream() {
        return stdout;
    }

    @Override
    public InputStream getErrorStream() {
        return stderr;
    }

    @Override
    public int waitFor() throws InterruptedException {
        done.await();
        return exitCode;
    }

    @Override
    public boolean waitFor(long timeout, TimeUnit unit) throws InterruptedException {
        return done.await(timeout, unit);
    }

    @Override
    public int exitValue() {
        if (done.getCount() > 0) {
            throw new IllegalThreadStateException("the shell is running");
        }
        return exitCode;
    }

    @Override
    public boolean isAlive() {
        return done.getCount() > 0;
    }

    @Override
    public void destroy() {
        input.add(EOF);
        thread.interrupt();
    }
}
