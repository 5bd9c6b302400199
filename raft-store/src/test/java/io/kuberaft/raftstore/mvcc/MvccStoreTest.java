package io.kuberaft.raftstore.mvcc;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.WriteBatch;

import java.nio.ByteBuffer;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MvccStoreTest {
    /**
     * Builds before one RocksDB write per log entry could stop in the middle of a batched entry and recorded how far
     * they got; this build would apply that entry's first commands again, so it refuses the database instead.
     */
    @Test
    void aDatabaseLeftInsideABatchedEntryByAnOlderBuildIsRefused(@TempDir Path dir) throws Exception {
        try (Backend backend = new Backend(dir); WriteBatch batch = new WriteBatch()) {
            batch.put(backend.family(Schema.META), Schema.META_APPLIED,
                    ByteBuffer.allocate(20).putLong(1).putLong(7).putInt(2).array());
            backend.write(batch);
        }
        assertThatThrownBy(() -> new MvccStore(dir)).hasMessageContaining("middle of batched log entry 7");
    }
}
