package io.kuberaft.nodeagent.runtime;

import com.pty4j.PtyProcess;
import com.pty4j.PtyProcessBuilder;
import com.pty4j.WinSize;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A process whose stdin, stdout and stderr are one pseudo-terminal (pty4j), as a container engine gives {@code kubectl
 * exec -t} and containers with {@code tty: true}: the program sees a terminal ({@code isatty}, line editing, echo,
 * job control, {@code SIGWINCH} on {@link #resize}), and what it writes to stdout and stderr comes out of
 * {@link #getInputStream()} in the order written. {@link #getErrorStream()} is empty.
 *
 * <p>pty4j's process implements no {@link #toHandle()} (nor, through it, {@link #info()} and {@link #descendants()});
 * this one does, from the pid, so the runtime signals the process's descendants and records its start time as for any
 * other process.
 */
public final class TerminalProcess extends Process {
    private final PtyProcess pty;

    private TerminalProcess(PtyProcess pty) {
        this.pty = pty;
    }

    /** Starts {@code command} in {@code dir} with exactly {@code env} (with {@code TERM=xterm} unless it sets one). */
    static TerminalProcess start(List<String> command, Map<String, String> env, Path dir, TerminalSize size) throws IOException {
        Map<String, String> e = new HashMap<>(env);
        e.putIfAbsent("TERM", "xterm");
        return new TerminalProcess(new PtyProcessBuilder(command.toArray(String[]::new))
                .setEnvironment(e)
                .setDirectory(dir.toString())
                .setRedirectErrorStream(true)
                .setInitialColumns(size.columns())
                .setInitialRows(size.rows())
                // keeps the output a program wrote just before it exited readable until it is read
                .setUnixOpenTtyToPreserveOutputAfterTermination(true)
                .start());
    }

    /** Sets the terminal's size (the program gets {@code SIGWINCH}). */
    public void resize(TerminalSize size) {
        if (pty.isAlive()) {
            pty.setWinSize(new WinSize(size.columns(), size.rows()));
        }
    }

    /**
     * The terminal's input. Closing it leaves the terminal open, as containerd's shim does when a client's stdin ends:
     * closing the pty master would hang up the program ({@code kubectl exec -t} without {@code -i} closes stdin at once).
     */
    @Override
    public OutputStream getOutputStream() {
        return new java.io.FilterOutputStream(pty.getOutputStream()) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                out.flush();
            }
        };
    }

    @Override
    public InputStream getInputStream() {
        return pty.getInputStream();
    }

    @Override
    public InputStream getErrorStream() {
        return InputStream.nullInputStream();
    }

    @Override
    public int waitFor() throws InterruptedException {
        return pty.waitFor();
    }

    @Override
    public boolean waitFor(long timeout, TimeUnit unit) throws InterruptedException {
        return pty.waitFor(timeout, unit);
    }

    @Override
    public int exitValue() {
        return pty.exitValue();
    }

    @Override
    public boolean isAlive() {
        return pty.isAlive();
    }

    /** SIGTERM, as {@link Process#destroy()} of a JDK process (pty4j's own destroy sends SIGKILL). */
    @Override
    public void destroy() {
        ProcessHandle.of(pid()).ifPresent(ProcessHandle::destroy);
    }

    @Override
    public Process destroyForcibly() {
        pty.destroyForcibly();
        return this;
    }

    @Override
    public long pid() {
        return pty.pid();
    }

    /** @throws IllegalStateException once the process is gone (then it has no descendants either: see below) */
    @Override
    public ProcessHandle toHandle() {
        return ProcessHandle.of(pid()).orElseThrow(() -> new IllegalStateException("process " + pid() + " has exited"));
    }

    @Override
    public Stream<ProcessHandle> descendants() {
        return ProcessHandle.of(pid()).map(ProcessHandle::descendants).orElseGet(Stream::empty);
    }
}
