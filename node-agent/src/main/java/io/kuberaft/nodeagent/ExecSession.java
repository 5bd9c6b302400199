package io.kuberaft.nodeagent;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.nodeagent.runtime.TerminalProcess;
import io.kuberaft.nodeagent.runtime.TerminalSize;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * One {@code kubectl exec} over the Kubernetes channel protocol ({@code v4.channel.k8s.io}/{@code v5.channel.k8s.io}):
 * every binary message starts with its channel, 0 stdin, 1 stdout, 2 stderr, 3 error (a metav1.Status once the
 * command ends), 4 resize; v5 adds 255, the close signal ({@code [255, channel]}: the client's stdin is done).
 * The command's exit code travels as a Status with reason NonZeroExitCode and an ExitCode cause.
 */
final class ExecSession {
    private static final Logger LOG = LoggerFactory.getLogger(ExecSession.class);
    static final byte STDIN = 0;
    static final byte STDOUT = 1;
    static final byte STDERR = 2;
    static final byte ERROR = 3;
    static final byte RESIZE = 4;
    static final byte CLOSE = (byte) 255;
    private final ServerWebSocket ws;
    private final Process process;
    private final List<String> command;
    private final boolean stdin;
    private final boolean stdout;
    private final boolean stderr;
    private final boolean tty;
    private final ExecutorService input = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "exec-stdin");
        t.setDaemon(true);
        return t;
    });

    ExecSession(ServerWebSocket ws, Process process, List<String> command, boolean stdin, boolean stdout, boolean stderr, boolean tty) {
        this.ws = ws;
        this.process = process;
        this.command = command;
        this.stdin = stdin;
        this.stdout = stdout;
        this.stderr = stderr;
        this.tty = tty;
    }

    /**
     * With a TTY the command must start on a terminal of the client's size (a shell reads it when it starts): kubectl
     * sends its size as soon as the stream is open, so {@code start} runs once that first resize message is in, or
     * after {@code waitMs} with {@link TerminalSize#DEFAULT}; what came before it (input typed ahead) is handed on.
     */
    static void awaitTerminalSize(ServerWebSocket ws, Vertx vertx, long waitMs, BiConsumer<TerminalSize, List<Buffer>> start) {
        List<Buffer> early = new ArrayList<>();
        AtomicBoolean started = new AtomicBoolean();
        long[] timer = new long[1];
        Consumer<TerminalSize> go = size -> {
            if (started.compareAndSet(false, true)) {
                vertx.cancelTimer(timer[0]);
                start.accept(size, early);
            }
        };
        timer[0] = vertx.setTimer(waitMs, id -> go.accept(TerminalSize.DEFAULT));
        ws.binaryMessageHandler(msg -> {
            Optional<TerminalSize> size = resize(msg);
            if (size.isPresent()) {
                go.accept(size.get());
            } else if (!started.get()) {
                early.add(msg);
            }
        });
    }

    /** The terminal size a resize message (channel 4) carries; empty for any other message. */
    static Optional<TerminalSize> resize(Buffer msg) {
        return msg.length() > 1 && msg.getByte(0) == RESIZE ? TerminalSize.parse(msg.getBytes(1, msg.length())) : Optional.empty();
    }

    /** Serves the stream; {@code early}: messages the client sent before the process started. */
    void start(List<Buffer> early) {
        OutputStream in = process.getOutputStream();
        if (!stdin) {
            closeQuietly(in);
        }
        early.forEach(msg -> onMessage(msg, in));
        ws.binaryMessageHandler(msg -> onMessage(msg, in));
        ws.closeHandler(v -> {
            input.shutdown();
            if (process.isAlive()) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
            }
        });
        CountDownLatch outputs = new CountDownLatch(tty ? 1 : 2);
        pump(process.getInputStream(), STDOUT, stdout, outputs);
        if (!tty) {
            pump(process.getErrorStream(), STDERR, stderr, outputs);
        }
        Thread waiter = new Thread(() -> {
            try {
                int code = process.waitFor();
                outputs.await();
                finish(code);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "exec-wait-" + process.pid());
        waiter.setDaemon(true);
        waiter.start();
    }

    private void onMessage(Buffer msg, OutputStream in) {
        if (msg.length() == 0) {
            return;
        }
        byte channel = msg.getByte(0);
        if (channel == STDIN && stdin) {
            byte[] data = msg.getBytes(1, msg.length());
            input.execute(() -> {
                try {
                    in.write(data);
                    in.flush();
                } catch (IOException e) {
                    LOG.debug("event=exec-stdin-closed error={}", e.toString());
                }
            });
        } else if (channel == CLOSE && msg.length() >= 2 && msg.getByte(1) == STDIN) {
            input.execute(() -> closeQuietly(in));
        } else if (process instanceof TerminalProcess terminal) {
            resize(msg).ifPresent(terminal::resize);
        }
    }

    private void pump(InputStream from, byte channel, boolean wanted, CountDownLatch done) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[32 * 1024];
            try {
                int n;
                while ((n = from.read(buf)) >= 0) {
                    if (n > 0 && wanted) {
                        Buffer b = Buffer.buffer(n + 1).appendByte(channel).appendBytes(buf, 0, n);
                        while (ws.writeQueueFull() && !ws.isClosed()) {
                            Thread.sleep(5);
                        }
                        if (ws.isClosed()) {
                            break;
                        }
                        ws.writeBinaryMessage(b);
                    }
                }
            } catch (IOException e) {
                LOG.debug("event=exec-output-ended channel={} error={}", channel, e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                done.countDown();
            }
        }, "exec-out-" + channel + "-" + process.pid());
        t.setDaemon(true);
        t.start();
    }

    private void finish(int code) {
        ObjectNode status = PodWorker.JSON.createObjectNode();
        status.putObject("metadata");
        if (code == 0) {
            status.put("status", "Success");
        } else {
            status.put("status", "Failure");
            status.put("message", "command terminated with non-zero exit code: error executing command " + command + ", exit code " + code);
            status.put("reason", "NonZeroExitCode");
            status.putObject("details").putArray("causes").addObject().put("reason", "ExitCode").put("message", String.valueOf(code));
        }
        LOG.info("event=exec-finished pid={} exit-code={}", process.pid(), code);
        send(ws, status);
    }

    /** An exec that could not start: a Failure status on the error channel, then the close. */
    static void fail(ServerWebSocket ws, String message) {
        ObjectNode status = PodWorker.JSON.createObjectNode();
        status.putObject("metadata");
        status.put("status", "Failure").put("message", "Internal error occurred: " + message).put("reason", "InternalError");
        status.putObject("details").putArray("causes").addObject().put("message", message);
        status.put("code", 500);
        send(ws, status);
    }

    private static void send(ServerWebSocket ws, ObjectNode status) {
        if (ws.isClosed()) {
            return;
        }
        byte[] json = status.toString().getBytes(StandardCharsets.UTF_8);
        ws.writeBinaryMessage(Buffer.buffer(json.length + 1).appendByte(ERROR).appendBytes(json))
                .onComplete(x -> ws.close());
    }

    private static void closeQuietly(OutputStream out) {
        try {
            out.close();
        } catch (IOException e) {
            // already closed
        }
    }
}
