package io.kuberaft.raftstore.raft;

import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.SnapshotInfo;
import org.apache.ratis.statemachine.SnapshotRetentionPolicy;
import org.apache.ratis.statemachine.StateMachineStorage;
import org.apache.ratis.statemachine.impl.FileListSnapshotInfo;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Snapshots are RocksDB checkpoints, one directory per snapshot named {@code snapshot.<term>_<index>}
 * under a dedicated folder. Ratis streams the files of the latest one to a follower that fell behind
 * the purged log and replaces the follower's whole snapshot folder with them; the state machine then
 * reopens its database from that checkpoint.
 */
final class CheckpointSnapshotStorage implements StateMachineStorage {
    private static final Pattern NAME = Pattern.compile("snapshot\\.(\\d+)_(\\d+)");
    private static final int RETAINED = 2;

    private final Path snapshotDir;
    private final Path tmpDir;
    private volatile SnapshotInfo latest;

    CheckpointSnapshotStorage(Path snapshotDir, Path tmpDir) {
        this.snapshotDir = snapshotDir;
        this.tmpDir = tmpDir;
    }

    @Override
    public void init(RaftStorage raftStorage) throws IOException {
        Files.createDirectories(snapshotDir);
        Files.createDirectories(tmpDir);
        refresh();
    }

    static String dirName(long term, long index) {
        return "snapshot." + term + "_" + index;
    }

    /** The folder a new checkpoint for (term, index) goes to. */
    Path pathFor(long term, long index) {
        return snapshotDir.resolve(dirName(term, index));
    }

    /** Re-reads the folder: after a checkpoint was written or a snapshot installed by Ratis. */
    SnapshotInfo refresh() throws IOException {
        Optional<Path> dir = newest();
        if (dir.isEmpty()) {
            latest = null;
            return null;
        }
        TermIndex ti = termIndexOf(dir.get());
        List<FileInfo> files = new ArrayList<>();
        try (Stream<Path> s = Files.walk(dir.get())) {
            for (Path p : s.filter(Files::isRegularFile).filter(p -> !p.toString().endsWith(".md5")).sorted().toList()) {
                files.add(new FileInfo(p.toAbsolutePath(), null));
            }
        }
        latest = new FileListSnapshotInfo(files, ti.getTerm(), ti.getIndex());
        return latest;
    }

    /** The checkpoint folder of the latest snapshot, if any. */
    Optional<Path> newest() throws IOException {
        if (!Files.isDirectory(snapshotDir)) {
            return Optional.empty();
        }
        try (Stream<Path> s = Files.list(snapshotDir)) {
            return s.filter(p -> NAME.matcher(p.getFileName().toString()).matches())
                    .max(Comparator.comparingLong(p -> termIndexOf(p).getIndex()));
        }
    }

    static TermIndex termIndexOf(Path dir) {
        Matcher m = NAME.matcher(dir.getFileName().toString());
        if (!m.matches()) {
            throw new IllegalArgumentException("not a snapshot folder: " + dir);
        }
        return TermIndex.valueOf(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)));
    }

    @Override
    public SnapshotInfo getLatestSnapshot() {
        return latest;
    }

    @Override
    public void format() {
    }

    @Override
    public void cleanupOldSnapshots(SnapshotRetentionPolicy policy) throws IOException {
        try (Stream<Path> s = Files.list(snapshotDir)) {
            List<Path> all = s.filter(p -> NAME.matcher(p.getFileName().toString()).matches())
                    .sorted(Comparator.comparingLong((Path p) -> termIndexOf(p).getIndex()).reversed()).toList();
            // Keep more than one: a follower may still be streaming the previous snapshot's files.
            for (Path old : all.subList(Math.min(RETAINED, all.size()), all.size())) {
                deleteTree(old);
            }
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Override
    public File getSnapshotDir() {
        return snapshotDir.toFile();
    }

    @Override
    public File getTmpDir() {
        return tmpDir.toFile();
    }
}
