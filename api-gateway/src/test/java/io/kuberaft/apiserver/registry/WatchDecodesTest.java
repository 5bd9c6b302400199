package io.kuberaft.apiserver.registry;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.KeyValue;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The shared decodes are found by the event's identity and kept within a count and a byte budget. */
class WatchDecodesTest {
    /** Only its identity matters here. */
    private static final ResourceDefinition CONFIGMAPS = null;

    private static KeyValue kv(int i, int size) {
        return KeyValue.newBuilder().setKey(ByteString.copyFromUtf8("/registry/configmaps/default/c" + i))
                .setValue(ByteString.copyFrom(new byte[size])).setModRevision(i + 1).build();
    }

    @Test
    void oneDecodePerEventAndDefinitionWithinTheBudget() {
        WatchDecodes d = new WatchDecodes();
        AtomicInteger decodes = new AtomicInteger();
        KeyValue small = kv(0, 100);
        WatchObject first = d.get(CONFIGMAPS, small, 0, () -> decode(decodes));
        assertThat(d.get(CONFIGMAPS, small, 0, () -> decode(decodes))).isSameAs(first);
        // an equal value that is another event's (another instance) and the same value as deleted are decoded anew
        assertThat(d.get(CONFIGMAPS, small.toBuilder().build(), 0, () -> decode(decodes))).isNotSameAs(first);
        assertThat(d.get(CONFIGMAPS, small, 5, () -> decode(decodes))).isNotSameAs(first);
        assertThat(decodes).hasValue(3);

        // 1 MiB values: at most 8 MiB of them stay, so the first of twenty is decoded again, the last is not
        List<KeyValue> big = new ArrayList<>();
        for (int i = 1; i <= 20; i++) {
            big.add(kv(i, 1 << 20));
            d.get(CONFIGMAPS, big.get(i - 1), 0, () -> decode(decodes));
        }
        decodes.set(0);
        d.get(CONFIGMAPS, big.get(19), 0, () -> decode(decodes));
        assertThat(decodes).hasValue(0);
        d.get(CONFIGMAPS, big.get(0), 0, () -> decode(decodes));
        assertThat(decodes).hasValue(1);
    }

    private static ObjectNode decode(AtomicInteger decodes) {
        decodes.incrementAndGet();
        return Objects.JSON.createObjectNode();
    }
}
