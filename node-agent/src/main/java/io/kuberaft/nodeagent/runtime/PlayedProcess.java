package io.kuberaft.nodeagent.runtime;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.OutputStream;

/** A {@link Process} that has already run: what a simulated container's exec printed and its exit code. */
final class PlayedProcess extends SimulatedProcess {
    private final byte[] stdout;
    private final byte[] stderr;
    private final int exitCode;

    PlayedProcess(byte[] stdout, byte[] stderr, int exitCode) {
        this.stdout = stdout;
        this.stderr = stderr;
        this.exitCode = exitCode;
    }

    @Override
    public OutputStream getOutputStream() {
        return OutputStream.nullOutputStream();
    }

    @Override
    public InputStream getInputStream() {
        return new ByteArrayInputStream(stdout);
    }

    @Override
    public InputStream getErrorStream() {
        return new ByteArrayInputStream(stderr);
    }

    @Override
    public int waitFor() {
        return exitCode;
    }

    @Override
    public int exitValue() {
        return exitCode;
    }

    @Override
    public boolean isAlive() {
        return false;
    }

    @Override
    public void destroy() {
        // nothing runs
    }
}
