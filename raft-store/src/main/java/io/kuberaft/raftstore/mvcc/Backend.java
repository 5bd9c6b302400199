package io.kuberaft.raftstore.mvcc;

import org.rocksdb.Checkpoint;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The RocksDB database under the store: column families from {@link Schema}, atomic write batches,
 * point reads, ordered scans and checkpoints. A RocksDB error is a real fault and surfaces as an
 * {@link UncheckedIOException}; the state machine stops the replica on it.
 */
public final class Backend implements AutoCloseable {
    static {
        RocksDB.loadLibrary();
    }

    private final Path dir;
    private final DBOptions dbOptions;
    private final ColumnFamilyOptions cfOptions;
    private final List<ColumnFamilyHandle> handles = new ArrayList<>();
    private final Map<String, ColumnFamilyHandle> families = new HashMap<>();
    private final WriteOptions writeOptions = new WriteOptions();
    private final RocksDB db;

    public Backend(Path dir) {
        this.dir = dir;
        try {
            Files.createDirectories(dir);
            dbOptions = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true)
                    .setMaxBackgroundJobs(2).setKeepLogFileNum(3);
            cfOptions = new ColumnFamilyOptions().optimizeLevelStyleCompaction();
            List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
            descriptors.add(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfOptions));
            for (String f : Schema.FAMILIES) {
                descriptors.add(new ColumnFamilyDescriptor(Schema.name(f), cfOptions));
            }
            db = RocksDB.open(dbOptions, dir.toString(), descriptors, handles);
            for (int i = 0; i < Schema.FAMILIES.size(); i++) {
                families.put(Schema.FAMILIES.get(i), handles.get(i + 1));
            }
        } catch (RocksDBException e) {
            throw new UncheckedIOException(new IOException("cannot open RocksDB at " + dir + ": " + e.getMessage(), e));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Path dir() {
        return dir;
    }

    ColumnFamilyHandle family(String name) {
        return families.get(name);
    }

    byte[] get(String family, byte[] key) {
        try {
            return db.get(families.get(family), key);
        } catch (RocksDBException e) {
            throw fault("read", e);
        }
    }

    void write(WriteBatch batch) {
        try {
            db.write(writeOptions, batch);
        } catch (RocksDBException e) {
            throw fault("write", e);
        }
    }

    /** An iterator over one family; the caller closes it. */
    RocksIterator iterator(String family) {
        return db.newIterator(families.get(family));
    }

    RocksIterator iterator(String family, ReadOptions options) {
        return db.newIterator(families.get(family), options);
    }

    /** A consistent copy of the database in {@code target} (hard links where possible). */
    public void checkpoint(Path target) {
        try (Checkpoint cp = Checkpoint.create(db)) {
            cp.createCheckpoint(target.toString());
        } catch (RocksDBException e) {
            throw fault("checkpoint", e);
        }
    }

    public long sizeOnDisk() {
        try {
            long total = 0;
            for (ColumnFamilyHandle h : handles) {
                total += db.getLongProperty(h, "rocksdb.total-sst-files-size");
                total += db.getLongProperty(h, "rocksdb.cur-size-all-mem-tables");
            }
            return total;
        } catch (RocksDBException e) {
            return -1;
        }
    }

    private UncheckedIOException fault(String what, RocksDBException e) {
        return new UncheckedIOException(new IOException("RocksDB " + what + " failed in " + dir + ": " + e.getMessage(), e));
    }

    @Override
    public void close() {
        for (ColumnFamilyHandle h : handles) {
            h.close();
        }
        db.close();
        writeOptions.close();
        cfOptions.close();
        dbOptions.close();
    }
}
