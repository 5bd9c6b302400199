package io.kuberaft.raftstore.mvcc;

import com.google.protobuf.ByteString;

import java.nio.ByteBuffer;
import java.util.Comparator;

/**
 * etcd's key-range convention: an empty {@code end} means the single key {@code start}; an end of
 * {@code "\0"} means every key at or after {@code start}; otherwise the half-open range
 * {@code [start, end)} in unsigned byte order.
 */
public record KeyRange(ByteString start, ByteString end) {
    /**
     * Unsigned byte order, etcd's bytes.Compare. Not protobuf's own comparator: that one walks both keys a byte at a
     * time through iterators, and Kubernetes keys share long prefixes ({@code /registry/pods/<namespace>/}), so it
     * was 4 % of the leader's Java samples under load (the key index, the lessor, range checks).
     */
    public static final Comparator<ByteString> ORDER = KeyRange::compareUnsigned;
    private static final ByteString ALL = ByteString.copyFrom(new byte[] {0});

    public static KeyRange of(ByteString key, ByteString rangeEnd) {
        return new KeyRange(key, rangeEnd);
    }

    public boolean isSingleKey() {
        return end.isEmpty();
    }

    public boolean isOpenEnded() {
        return end.equals(ALL);
    }

    public boolean contains(ByteString key) {
        if (isSingleKey()) {
            return start.equals(key);
        }
        return ORDER.compare(key, start) >= 0 && (isOpenEnded() || ORDER.compare(key, end) < 0);
    }

    /** Whether two ranges share at least one key. */
    public boolean overlaps(KeyRange o) {
        if (isSingleKey()) {
            return o.contains(start);
        }
        if (o.isSingleKey()) {
            return contains(o.start);
        }
        boolean thisEndsAfterOtherStarts = isOpenEnded() || ORDER.compare(end, o.start) > 0;
        boolean otherEndsAfterThisStarts = o.isOpenEnded() || ORDER.compare(o.end, start) > 0;
        return thisEndsAfterOtherStarts && otherEndsAfterThisStarts;
    }

    static int compareUnsigned(ByteString a, ByteString b) {
        // Views of the bytes, no copies (for the flat ByteStrings keys are); mismatch compares them a word at a time.
        ByteBuffer x = a.asReadOnlyByteBuffer();
        ByteBuffer y = b.asReadOnlyByteBuffer();
        int i = x.mismatch(y);
        if (i < 0) {
            return 0;
        }
        if (i == x.remaining() || i == y.remaining()) {
            return Integer.compare(x.remaining(), y.remaining()); // one is a prefix of the other
        }
        return Integer.compare(Byte.toUnsignedInt(x.get(x.position() + i)), Byte.toUnsignedInt(y.get(y.position() + i)));
    }
}
