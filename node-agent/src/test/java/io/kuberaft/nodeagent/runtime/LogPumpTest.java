package io.kuberaft.nodeagent.runtime;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/** A terminal's output is logged as it comes: a partial entry must never split a UTF-8 character. */
class LogPumpTest {

    @Test
    void aPartialEntryEndsOnACharacterBoundary() {
        byte[] text = "prompt € 😀".getBytes(StandardCharsets.UTF_8);
        int euro = "prompt ".getBytes(StandardCharsets.UTF_8).length;
        int emoji = "prompt € ".getBytes(StandardCharsets.UTF_8).length;
        assertThat(LogPump.completeUtf8(text)).isEqualTo(text.length);
        assertThat(LogPump.completeUtf8(Arrays.copyOf(text, euro))).isEqualTo(euro);
        for (int cut = 1; cut < 3; cut++) {
            assertThat(LogPump.completeUtf8(Arrays.copyOf(text, euro + cut))).as("€ cut after %d of 3 bytes", cut).isEqualTo(euro);
        }
        for (int cut = 1; cut < 4; cut++) {
            assertThat(LogPump.completeUtf8(Arrays.copyOf(text, emoji + cut))).as("emoji cut after %d of 4 bytes", cut).isEqualTo(emoji);
        }
        // bytes that are not UTF-8 at all are passed on as they are
        assertThat(LogPump.completeUtf8(new byte[]{(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80})).isEqualTo(4);
    }
}
