package io.kuberaft.nodeagent;

import io.kuberaft.nodeagent.runtime.ContainerRuntime;
import io.kuberaft.nodeagent.runtime.CriLog;
import io.kuberaft.nodeagent.runtime.RuntimeContainer;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One {@code kubectl attach} over the channel protocol of {@link ExecSession}: what the container writes from now
 * on, stdout on channel 1 and stderr on channel 2 (read from the runtime's log, so the simulated runtime attaches
 * too: its containers write nothing after their start), until the container ends (a Success status on channel 3)
 * or the client goes. With {@code -i} what the client sends on channel 0 goes to the container's stdin when its spec
 * asks for one ({@code stdin: true}; the process runtime keeps a pipe, or the terminal of a container with {@code tty:
 * true}) and is dropped otherwise; with {@code stdinOnce} the container's stdin is closed when the client closes its
 * stdin (v5's close signal) or goes, as upstream. Resizes (channel 4) go to the container's terminal, if it has one.
 */
final class AttachSession {
    private static final Logger LOG = LoggerFactory.getLogger(AttachSession.class);
    private static final long POLL_MS = 100;
    private final ServerWebSocket ws;
    private final ContainerRuntime runtime;
    private final RuntimeContainer container;
    private final boolean stdout;
    private final boolean stderr;
    private final OutputStream stdin;
    private final boolean stdinOnce;
    private final AtomicBoolean gone = new AtomicBoolean();
    private final ExecutorService input = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "attach-stdin");
        t.setDaemon(true);
        return t;
    });

    /** {@code stdin}: the container's stdin when the client attaches it ({@code -i}) and the container has one. */
    AttachSession(ServerWebSocket ws, ContainerRuntime runtime, RuntimeContainer container, boolean stdout, boolean stderr,
                  OutputStream stdin, boolean stdinOnce) {
        this.ws = ws;
        this.runtime = runtime;
        this.container = container;
        this.stdout = stdout;
        this.stderr = stderr;
        this.stdin = stdin;
        this.stdinOnce = stdinOnce;
    }

    void start() {
        // From now on: what is already in the log is what `kubectl logs` is for.
        long start = runtime.logStart(container);
        long from = runtime.log(container, start).map(c -> c.next(LogRequest.consumed(c.bytes()))).orElse(start);
        ws.binaryMessageHandler(m -> {
            if (m.length() == 0) {
                return;
            }
            byte channel = m.getByte(0);
            if (channel == ExecSession.RESIZE) {
                ExecSession.resize(m).ifPresent(size -> runtime.resize(container, size));
            } else if (stdin == null) {
                return; // no stdin to feed
            } else if (channel == ExecSession.STDIN) {
                byte[] data = m.getBytes(1, m.length());
                input.execute(() -> {
                    try {
                        stdin.write(data);
                        stdin.flush();
                    } catch (IOException e) {
                        LOG.debug("event=attach-stdin-closed error={}", e.toString());
                    }
                });
            } else if (channel == ExecSession.CLOSE && m.length() >= 2 && m.getByte(1) == ExecSession.STDIN && stdinOnce) {
                input.execute(this::closeStdin);
            }
        });
        ws.closeHandler(v -> {
            gone.set(true);
            if (stdin != null && stdinOnce) {
                input.execute(this::closeStdin);
            }
            input.shutdown();
        });
        Thread t = new Thread(() -> follow(from), "attach-" + container.containerId());
        t.setDaemon(true);
        t.start();
    }

    private void follow(long from) {
        long offset = from;
        boolean exited = false;
        try {
            while (!gone.get() && !ws.isClosed()) {
                ContainerRuntime.LogChunk chunk = runtime.log(container, offset).orElse(null);
                if (chunk == null) {
                    break;
                }
                byte[] next = chunk.bytes();
                int used = LogRequest.consumed(next);
                if (used > 0) {
                    offset = chunk.next(used);
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

    private void closeStdin() {
        try {
            stdin.close();
        } catch (IOException e) {
            // closed already
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
