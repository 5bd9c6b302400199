package io.kuberaft.nodeagent;

import io.kuberaft.nodeagent.runtime.ContainerRuntime;
import io.kuberaft.nodeagent.runtime.CriLog;
import io.kuberaft.nodeagent.runtime.RuntimeContainer;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One {@code kubectl attach} over the channel protocol of {@link ExecSession}: what the container writes from now
 * on, stdout on channel 1 and stderr on channel 2 (read from the runtime's log, so the simulated runtime attaches
 * too: its containers write nothing after their start), until the container ends (a Success status on channel 3)
 * or the client goes. The runtimes start containers with stdin from {@code /dev/null}, so what the client sends on
 * stdin ({@code -i}) is read and dropped.
 */
final class AttachSession {
    private static final Logger LOG = LoggerFactory.getLogger(AttachSession.class);
    private static final long POLL_MS = 100;
    private final ServerWebSocket ws;
    private final ContainerRuntime runtime;
    private final RuntimeContainer container;
    private final boolean stdout;
    private final boolean stderr;
    private final AtomicBoolean gone = new AtomicBoolean();

    AttachSession(ServerWebSocket ws, ContainerRuntime runtime, RuntimeContainer container, boolean stdout, boolean stderr) {
        this.ws = ws;
        this.runtime = runtime;
        this.container = container;
        this.stdout = stdout;
        this.stderr = stderr;
    }

    void start() {
        // From now on: what is already in the log is what `kubectl logs` is for.
        long from = LogRequest.consumed(runtime.log(container, 0).orElse(new byte[0]));
        ws.binaryMessageHandler(m -> {
            // stdin (channel 0), its close (255) and resizes (4): nothing to feed, the container's stdin is /dev/null.
        });
        ws.closeHandler(v -> gone.set(true));
        Thread t = new Thread(() -> follow(from), "attach-" + container.containerId());
        t.setDaemon(true);
        t.start();
    }

    private void follow(long from) {
        long offset = from;
        boolean exited = false;
        try {
            while (!gone.get() && !ws.isClosed()) {
                byte[] next = runtime.log(container, offset).orElse(null);
                if (next == null) {
                    break;
                }
                int used = LogRequest.consumed(next);
                if (used > 0) {
                    offset += used;
                    for (CriLog.Line l : LogRequest.entries(next)) {
                        boolean err = l.stream().equals("stderr");
                        if (err ? stderr : stdout) {
                            write(err ? ExecSession.STDERR : ExecSession.STDOUT, l.render(false));
                        }
                    }
                    continue;
                }
                if (exited) {
                    break;
                }
                exited = container.exit().isPresent();
                if (!exited) {
                    Thread.sleep(POLL_MS);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LOG.info("event=attach-finished container={} exited={}", container.containerId(), container.exit().isPresent());
        if (!ws.isClosed()) {
            byte[] ok = "{\"metadata\":{},\"status\":\"Success\"}".getBytes(StandardCharsets.UTF_8);
            ws.writeBinaryMessage(Buffer.buffer(ok.length + 1).appendByte(ExecSession.ERROR).appendBytes(ok)).onComplete(x -> ws.close());
        }
    }

    private void write(byte channel, String text) throws InterruptedException {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        while (ws.writeQueueFull() && !ws.isClosed()) {
            Thread.sleep(5);
        }
        ws.writeBinaryMessage(Buffer.buffer(b.length + 1).appendByte(channel).appendBytes(b));
    }
}
