package io.kuberaft.nodeagent.runtime;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * {@code tar} on a simulated container's files, as {@code kubectl cp} runs it through exec: {@code tar -xmf - [-C DIR]}
 * unpacks the archive kubectl streams to stdin into the container ({@code kubectl cp FILE POD:PATH}), and
 * {@code tar cf - PATH…} packs what the simulation knows at those paths to stdout ({@code kubectl cp POD:PATH FILE}).
 * Known files are the pod's volumes, {@code /etc/hosts} and what commands wrote; an image's own files are not, so packing
 * a path the simulation cannot know fails rather than pretending it is empty. Messages are GNU tar's.
 */
final class SimulatedTar {
    /** An archive kubectl sends is held in memory: bounded, as the simulation's files are. */
    static final int MAX_ARCHIVE_BYTES = 64 * 1024 * 1024;

    private SimulatedTar() {
    }

    private record Command(boolean extract, String dir, List<String> paths) {
    }

    /** The tar invocation in {@code argv}, if it is one this simulation plays: an archive on stdin or stdout only. */
    private static Optional<Command> parse(List<String> argv) {
        if (argv.isEmpty() || !argv.get(0).substring(argv.get(0).lastIndexOf('/') + 1).equals("tar")) {
            return Optional.empty();
        }
        Boolean extract = null;
        String archive = null;
        String dir = null;
        List<String> paths = new ArrayList<>();
        for (int i = 1; i < argv.size(); i++) {
            String a = argv.get(i);
            if (a.equals("-C") && i + 1 < argv.size()) {
                dir = argv.get(++i);
            } else if (a.equals("--no-same-permissions") || a.equals("--no-same-owner")) {
                continue;
            } else if (a.startsWith("--")) {
                return Optional.empty();
            } else if ((a.startsWith("-") || i == 1) && a.length() > 1 && archive == null && a.replace("-", "").chars().allMatch(Character::isLetter)) {
                // bundled options, with or without a dash: cf, -xmf, xvf
                for (char ch : a.replace("-", "").toCharArray()) {
                    switch (ch) {
                        case 'x' -> extract = Boolean.TRUE;
                        case 'c' -> extract = Boolean.FALSE;
                        case 'f' -> archive = i + 1 < argv.size() ? argv.get(++i) : null;
                        case 'm', 'v', 'o', 'p' -> {
                        }
                        default -> {
                            return Optional.empty();
                        }
                    }
                }
            } else {
                paths.add(a);
            }
        }
        if (extract == null || !"-".equals(archive) || !extract && paths.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new Command(extract, dir, paths));
    }

    static boolean plays(List<String> argv) {
        return parse(argv).isPresent();
    }

    /** Starts the tar of {@code argv} (which {@link #plays}) on {@code files}, at the simulation time {@code now} gives. */
    static Process start(SimulatedFiles files, List<String> argv, Supplier<Instant> now) {
        Command c = parse(argv).orElseThrow();
        return c.extract() ? new Extract(files, c.dir() == null ? "." : c.dir(), now) : create(files, c.paths(), now.get());
    }

    private static Process create(SimulatedFiles files, List<String> paths, Instant at) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StringBuilder err = new StringBuilder();
        boolean failed = false;
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_GNU);
            for (String path : paths) {
                SimulatedFiles.Entry e = files.lookup(path, at);
                SortedMap<String, byte[]> known = files.filesUnder(path, at);
                if (e instanceof SimulatedFiles.Missing) {
                    err.append("tar: ").append(path).append(": Cannot stat: No such file or directory\n");
                    failed = true;
                    continue;
                }
                if (known.isEmpty() && !(e instanceof SimulatedFiles.Directory)) {
                    err.append("tar: ").append(path).append(": not simulated (the simulated runtime knows the pod's volumes, "
                            + "/etc/hosts and what commands wrote, not the files of image ").append(files.image())
                            .append("; use --runtime process)\n");
                    failed = true;
                    continue;
                }
                if (path.startsWith("/")) {
                    err.append("tar: Removing leading `/' from member names\n");
                }
                for (Map.Entry<String, byte[]> f : known.entrySet()) {
                    TarArchiveEntry entry = new TarArchiveEntry(f.getKey().substring(1));
                    entry.setSize(f.getValue().length);
                    entry.setModTime(at.toEpochMilli());
                    entry.setMode(0100644);
                    tar.putArchiveEntry(entry);
                    tar.write(f.getValue());
                    tar.closeArchiveEntry();
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e); // a ByteArrayOutputStream does not fail
        }
        if (failed) {
            err.append("tar: Exiting with failure status due to previous errors\n");
        }
        return new PlayedProcess(out.toByteArray(), err.toString().getBytes(StandardCharsets.UTF_8), failed ? 2 : 0);
    }

    /** {@code tar -xf -}: reads the archive until kubectl closes stdin, then writes its files into the container's. */
    private static final class Extract extends SimulatedProcess {
        private final CompletableFuture<byte[]> stderr = new CompletableFuture<>();
        private final CompletableFuture<Integer> exit = new CompletableFuture<>();
        private final OutputStream stdin;

        Extract(SimulatedFiles files, String dir, Supplier<Instant> now) {
            ByteArrayOutputStream archive = new ByteArrayOutputStream();
            this.stdin = new OutputStream() {
                private boolean closed;

                @Override
                public void write(int b) throws IOException {
                    write(new byte[] {(byte) b}, 0, 1);
                }

                @Override
                public synchronized void write(byte[] b, int off, int len) throws IOException {
                    if (closed) {
                        throw new IOException("stdin closed");
                    }
                    if (archive.size() + len > MAX_ARCHIVE_BYTES) {
                        finish(2, "tar: the simulated runtime takes archives of at most " + MAX_ARCHIVE_BYTES / (1024 * 1024) + " MiB\n");
                        throw new IOException("archive too large");
                    }
                    archive.write(b, off, len);
                }

                @Override
                public synchronized void close() {
                    if (!closed) {
                        closed = true;
                        unpack(files, dir, archive.toByteArray(), now.get());
                    }
                }
            };
        }

        private void unpack(SimulatedFiles files, String dir, byte[] archive, Instant at) {
            StringBuilder err = new StringBuilder();
            if (!TarArchiveInputStream.matches(archive, Math.min(archive.length, 512))) {
                finish(2, "tar: This does not look like a tar archive\ntar: Exiting with failure status due to previous errors\n");
                return;
            }
            try (TarArchiveInputStream tar = new TarArchiveInputStream(new ByteArrayInputStream(archive))) {
                for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
                    if (!e.isFile()) {
                        continue; // directories exist as far as the files in them do; links are not simulated
                    }
                    String path = SimulatedFiles.normalize(files.resolve(dir), e.getName());
                    if (files.readOnly(path)) {
                        err.append("tar: ").append(e.getName()).append(": Cannot open: Read-only file system\n");
                        continue;
                    }
                    files.write(path, tar.readAllBytes(), at);
                }
            } catch (IOException | IllegalArgumentException e) {
                err.append("tar: This does not look like a tar archive\n");
            }
            if (!err.isEmpty()) {
                err.append("tar: Exiting with failure status due to previous errors\n");
            }
            finish(err.isEmpty() ? 0 : 2, err.toString());
        }

        private void finish(int code, String message) {
            stderr.complete(message.getBytes(StandardCharsets.UTF_8));
            exit.complete(code);
        }

        @Override
        public OutputStream getOutputStream() {
            return stdin;
        }

        @Override
        public InputStream getInputStream() {
            return InputStream.nullInputStream();
        }

        /** Blocks until the archive is unpacked: its messages come after kubectl's stdin ends. */
        @Override
        public InputStream getErrorStream() {
            return new InputStream() {
                private ByteArrayInputStream bytes;

                private ByteArrayInputStream bytes() {
                    if (bytes == null) {
                        bytes = new ByteArrayInputStream(stderr.join());
                    }
                    return bytes;
                }

                @Override
                public int read() {
                    return bytes().read();
                }

                @Override
                public int read(byte[] b, int off, int len) {
                    return bytes().read(b, off, len);
                }
            };
        }

        @Override
        public int waitFor() {
            return exit.join();
        }

        @Override
        public int exitValue() {
            if (!exit.isDone()) {
                throw new IllegalThreadStateException("tar is still reading its archive");
            }
            return exit.join();
        }

        @Override
        public void destroy() {
            finish(143, "");
        }

        @Override
        public boolean isAlive() {
            return !exit.isDone();
        }
    }
}
