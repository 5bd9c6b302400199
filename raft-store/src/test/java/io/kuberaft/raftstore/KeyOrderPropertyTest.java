package io.kuberaft.raftstore;

import com.google.protobuf.ByteString;
import io.kuberaft.raftstore.mvcc.KeyRange;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;

import static org.assertj.core.api.Assertions.assertThat;

/** The key order is protobuf's (and etcd's) unsigned lexicographic order, for keys that share prefixes or not. */
class KeyOrderPropertyTest {
    @Property(tries = 2000)
    void ordersAsUnsignedLexicographic(@ForAll @Size(max = 12) byte[] prefix, @ForAll @Size(max = 20) byte[] a,
                                       @ForAll @Size(max = 20) byte[] b) {
        ByteString x = ByteString.copyFrom(prefix).concat(ByteString.copyFrom(a));
        ByteString y = ByteString.copyFrom(prefix).concat(ByteString.copyFrom(b));
        // also a slice of a larger buffer (a ByteString with an offset), as protobuf parsing can make them
        ByteString padded = ByteString.copyFrom(new byte[] {7, 7, 7}).concat(y).concat(ByteString.copyFrom(new byte[] {9}));
        ByteString slice = padded.substring(3, 3 + y.size());
        int expected = Integer.signum(ByteString.unsignedLexicographicalComparator().compare(x, y));
        assertThat(Integer.signum(KeyRange.ORDER.compare(x, y))).isEqualTo(expected);
        assertThat(Integer.signum(KeyRange.ORDER.compare(y, x))).isEqualTo(-expected);
        assertThat(Integer.signum(KeyRange.ORDER.compare(x, slice))).isEqualTo(expected);
        assertThat(KeyRange.ORDER.compare(x, x)).isZero();
    }
}
