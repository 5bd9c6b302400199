package io.kuberaft.nodeagent.runtime;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.OutputStream;

/** A {@link Process} that has already run: what a simulated container's exec printed and its exit code. */
final class PlayedProcess extends Process {
    private final byte[] stdout;
    private final int exitCode;

    PlayedProcess(byte[] stdout, int exitCode) {
        this.stdout = stdout;
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
        return InputStream.nullInputStream();
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

    @Override
    public long pid() {
        return 0;
    }
}
