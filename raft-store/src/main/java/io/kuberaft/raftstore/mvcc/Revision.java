package io.kuberaft.raftstore.mvcc;

import java.nio.ByteBuffer;

/**
 * A point in the store's history: {@code main} is the global revision a write (or a whole txn)
 * created, {@code sub} orders the changes inside it. Stored as a fixed-width big-endian key so that
 * RocksDB iterates the history in revision order; a trailing {@code 't'} marks a tombstone (delete).
 */
public record Revision(long main, long sub) implements Comparable<Revision> {
    static final int KEY_LENGTH = 16;
    private static final byte TOMBSTONE_MARK = 't';

    public byte[] toKey(boolean tombstone) {
        ByteBuffer b = ByteBuffer.allocate(KEY_LENGTH + (tombstone ? 1 : 0));
        b.putLong(main).putLong(sub);
        if (tombstone) {
            b.put(TOMBSTONE_MARK);
        }
        return b.array();
    }

    /** The smallest key of revision {@code main}, for range scans over the history. */
    public static byte[] startKey(long main) {
        return new Revision(main, 0).toKey(false);
    }

    public static Revision fromKey(byte[] key) {
        ByteBuffer b = ByteBuffer.wrap(key);
        return new Revision(b.getLong(), b.getLong());
    }

    public static boolean isTombstoneKey(byte[] key) {
        return key.length == KEY_LENGTH + 1 && key[KEY_LENGTH] == TOMBSTONE_MARK;
    }

    @Override
    public int compareTo(Revision o) {
        int c = Long.compare(main, o.main);
        return c != 0 ? c : Long.compare(sub, o.sub);
    }
}
