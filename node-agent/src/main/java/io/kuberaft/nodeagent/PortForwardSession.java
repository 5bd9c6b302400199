package io.kuberaft.nodeagent;

import io.kuberaft.nodeagent.runtime.CannotStartException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.spdy.DefaultSpdyDataFrame;
import io.netty.handler.codec.spdy.DefaultSpdyGoAwayFrame;
import io.netty.handler.codec.spdy.DefaultSpdyPingFrame;
import io.netty.handler.codec.spdy.DefaultSpdyRstStreamFrame;
import io.netty.handler.codec.spdy.DefaultSpdySynReplyFrame;
import io.netty.handler.codec.spdy.SpdyDataFrame;
import io.netty.handler.codec.spdy.SpdyFrame;
import io.netty.handler.codec.spdy.SpdyFrameCodec;
import io.netty.handler.codec.spdy.SpdyGoAwayFrame;
import io.netty.handler.codec.spdy.SpdyPingFrame;
import io.netty.handler.codec.spdy.SpdyRstStreamFrame;
import io.netty.handler.codec.spdy.SpdyStreamStatus;
import io.netty.handler.codec.spdy.SpdySynStreamFrame;
import io.netty.handler.codec.spdy.SpdyVersion;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One {@code kubectl port-forward} session, protocol {@code portforward.k8s.io} over SPDY/3.1, the SPDY frames
 * carried in the binary messages of a WebSocket ({@value #PROTOCOL}, as client-go's tunnelling dialer sends them;
 * message boundaries mean nothing). Netty's SPDY codec reads and writes the frames.
 *
 * <p>For every TCP connection the client accepts it opens two streams with headers {@code streamType}
 * ({@code error} or {@code data}), {@code port} and {@code requestID}; each gets a SYN_REPLY at once. When
 * both streams of a request are there the agent connects to the port in the pod (where the runtime says it is) and
 * copies bytes both ways: the client's FIN half-closes the connection to the pod, the pod's EOF is a FIN on the data
 * stream followed by the end of the (empty) error stream. A failure (nothing listens, a runtime that cannot
 * forward) is written as the kubelet words it on the error stream, {@code error forwarding port P to pod UID, uid :
 * ...}; the session itself goes on. PINGs are answered; SPDY flow control is not enforced (client-go ignores it too).
 */
final class PortForwardSession {
    private static final Logger LOG = LoggerFactory.getLogger(PortForwardSession.class);
    static final String PROTOCOL = "SPDY/3.1+portforward.k8s.io";
    private static final int CHUNK = 32 * 1024;
    private static final long PAUSE_ABOVE = 4L * 1024 * 1024;
    private static final long RESUME_BELOW = 1024 * 1024;

    /** Where a port of the pod is reached. */
    interface Target {
        InetSocketAddress address(int port) throws CannotStartException;
    }

    private final ServerWebSocket ws;
    private final Context context;
    private final String pod;
    private final String podUid;
    private final Target target;
    private final EmbeddedChannel codec = new EmbeddedChannel(new SpdyFrameCodec(SpdyVersion.SPDY_3_1));
    private final Map<String, Pair> byRequest = new HashMap<>();
    private final Map<Integer, Pair> byStream = new HashMap<>();
    private final AtomicLong toPods = new AtomicLong();
    private boolean paused;
    private boolean closed;

    PortForwardSession(ServerWebSocket ws, Vertx vertx, String pod, String podUid, Target target) {
        this.ws = ws;
        this.context = vertx.getOrCreateContext();
        this.pod = pod;
        this.podUid = podUid;
        this.target = target;
    }

    void start() {
        ws.binaryMessageHandler(this::inbound);
        ws.textMessageHandler(t -> fail("text message on a SPDY tunnel"));
        ws.closeHandler(v -> {
            LOG.debug("event=portforward-ws-closed pod={} status={} reason={}", pod, ws.closeStatusCode(), ws.closeReason());
            closeAll();
        });
        ws.exceptionHandler(t -> {
            LOG.debug("event=portforward-ws-error pod={} error={}", pod, t.toString());
            closeAll();
        });
    }

    /** The state of one forwarded connection (one requestID). */
    private final class Pair {
        final String requestId;
        final int port;
        int errorStream;
        int dataStream;
        Socket socket;
        ExecutorService writer;
        boolean finished;

        Pair(String requestId, int port) {
            this.requestId = requestId;
            this.port = port;
        }
    }

    private void inbound(Buffer message) {
        List<Object> frames = new ArrayList<>();
        synchronized (codec) {
            if (closed) {
                return;
            }
            try {
                codec.writeInbound(Unpooled.wrappedBuffer(message.getBytes()));
            } catch (RuntimeException e) {
                fail("bad SPDY frame: " + e.getMessage());
                return;
            }
            Object f;
            while ((f = codec.readInbound()) != null) {
                frames.add(f);
            }
        }
        for (Object f : frames) {
            try {
                handle(f);
            } finally {
                ReferenceCountUtil.release(f);
            }
        }
    }

    private void handle(Object frame) {
        if (frame instanceof SpdySynStreamFrame syn) {
            synStream(syn);
        } else if (frame instanceof SpdyDataFrame data) {
            data(data);
        } else if (frame instanceof SpdyRstStreamFrame rst) {
            Pair p = byStream.get(rst.streamId());
            if (p != null && p.dataStream == rst.streamId()) {
                closeSocket(p);
            }
        } else if (frame instanceof SpdyPingFrame ping) {
            send(new DefaultSpdyPingFrame(ping.id()));
        } else if (frame instanceof SpdyGoAwayFrame) {
            ws.close();
        }
        // SETTINGS, WINDOW_UPDATE, HEADERS: nothing to do (no flow control, no trailers).
    }

    private void synStream(SpdySynStreamFrame syn) {
        int id = syn.streamId();
        String type = syn.headers().getAsString("streamtype");
        String portText = syn.headers().getAsString("port");
        String requestId = syn.headers().getAsString("requestid");
        if (requestId == null) {
            // Protocol v1 without request ids pairs a data stream with the error stream opened just before it.
            requestId = String.valueOf("error".equals(type) ? id : id - 2);
        }
        int port;
        try {
            port = Integer.parseInt(portText == null ? "" : portText);
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (!"error".equals(type) && !"data".equals(type)) {
            send(new DefaultSpdyRstStreamFrame(id, SpdyStreamStatus.PROTOCOL_ERROR));
            return;
        }
        // Netty leaves an empty header block out altogether, which spdystream cannot read (it expects the compressed
        // count of zero headers): the reply repeats the stream's type, a header the client ignores.
        DefaultSpdySynReplyFrame reply = new DefaultSpdySynReplyFrame(id);
        reply.headers().set("streamtype", type);
        send(reply);
        Pair p = byRequest.get(requestId);
        if (p == null) {
            p = new Pair(requestId, port);
            byRequest.put(requestId, p);
        }
        if (type.equals("error")) {
            p.errorStream = id;
        } else {
            p.dataStream = id;
        }
        byStream.put(id, p);
        if (p.errorStream != 0 && p.dataStream != 0) {
            begin(p);
        }
    }

    private void data(SpdyDataFrame data) {
        Pair p = byStream.get(data.streamId());
        if (p == null || p.dataStream != data.streamId() || p.writer == null) {
            return; // the client's (empty) end of the error stream, or data for a connection already gone
        }
        byte[] bytes = ByteBufUtil.getBytes(data.content());
        boolean last = data.isLast();
        Runnable write = () -> {
            try {
                Socket s = p.socket;
                if (s != null && !s.isClosed()) {
                    if (bytes.length > 0) {
                        s.getOutputStream().write(bytes);
                        s.getOutputStream().flush();
                    }
                    if (last) {
                        s.shutdownOutput();
                    }
                }
            } catch (IOException e) {
                LOG.debug("event=portforward-write-failed pod={} port={} error={}", pod, p.port, e.toString());
            } finally {
                if (bytes.length > 0) {
                    backPressure(toPods.addAndGet(-bytes.length));
                }
            }
        };
        if (bytes.length > 0) {
            backPressure(toPods.addAndGet(bytes.length));
        }
        try {
            p.writer.execute(write);
        } catch (RejectedExecutionException e) {
            // the connection is over (the pod closed it, or it failed): what the client still sends is dropped
            if (bytes.length > 0) {
                backPressure(toPods.addAndGet(-bytes.length));
            }
        }
    }

    /** Pauses the WebSocket while too much is queued for the pods' sockets. */
    private void backPressure(long queued) {
        context.runOnContext(v -> {
            if (!paused && queued > PAUSE_ABOVE) {
                paused = true;
                ws.pause();
            } else if (paused && queued < RESUME_BELOW) {
                paused = false;
                ws.resume();
            }
        });
    }

    /** Both streams are there: connect to the pod's port and copy. */
    private void begin(Pair p) {
        p.writer = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "portforward-" + pod + "-" + p.port + "-" + p.requestId);
            t.setDaemon(true);
            return t;
        });
        p.writer.execute(() -> {
            Socket s = new Socket();
            try {
                if (p.port < 1 || p.port > 65535) {
                    throw new CannotStartException("InvalidPort", "invalid port " + p.port);
                }
                InetSocketAddress address = target.address(p.port);
                try {
                    s.connect(address, 5000);
                } catch (IOException e) {
                    throw new CannotStartException("ConnectFailed", "failed to connect to localhost:" + p.port + " inside the pod: dial tcp4 "
                            + address.getAddress().getHostAddress() + ":" + address.getPort() + ": connect: " + reason(e));
                }
                s.setTcpNoDelay(true);
            } catch (CannotStartException | IOException e) {
                closeQuietly(s);
                String msg = "error forwarding port " + p.port + " to pod " + podUid + ", uid : " + e.getMessage();
                LOG.info("event=portforward-failed pod={} port={} error=\"{}\"", pod, p.port, e.getMessage());
                finish(p, msg);
                return;
            }
            synchronized (p) {
                if (p.finished) {
                    closeQuietly(s);
                    return;
                }
                p.socket = s;
            }
            LOG.info("event=portforward-connected pod={} port={} request={}", pod, p.port, p.requestId);
            Thread reader = new Thread(() -> copyFromPod(p, s), "portforward-read-" + pod + "-" + p.port + "-" + p.requestId);
            reader.setDaemon(true);
            reader.start();
        });
    }

    private static String reason(IOException e) {
        String m = String.valueOf(e.getMessage()).toLowerCase();
        return m.contains("refused") ? "connection refused" : m.contains("timed out") ? "i/o timeout" : String.valueOf(e.getMessage());
    }

    private void copyFromPod(Pair p, Socket s) {
        byte[] buf = new byte[CHUNK];
        try (InputStream in = s.getInputStream()) {
            int n;
            while ((n = in.read(buf)) >= 0) {
                if (n == 0) {
                    continue;
                }
                while (ws.writeQueueFull() && !ws.isClosed()) {
                    Thread.sleep(5);
                }
                if (ws.isClosed()) {
                    break;
                }
                byte[] copy = java.util.Arrays.copyOf(buf, n);
                send(new DefaultSpdyDataFrame(p.dataStream, Unpooled.wrappedBuffer(copy)));
            }
        } catch (IOException e) {
            LOG.debug("event=portforward-read-ended pod={} port={} error={}", pod, p.port, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        finish(p, null);
    }

    /** Ends a connection: its error (if any) and the end of both streams, once. */
    private void finish(Pair p, String error) {
        synchronized (p) {
            if (p.finished) {
                return;
            }
            p.finished = true;
        }
        if (error != null) {
            send(new DefaultSpdyDataFrame(p.errorStream, Unpooled.wrappedBuffer(error.getBytes(StandardCharsets.UTF_8))));
        }
        send(new DefaultSpdyDataFrame(p.dataStream).setLast(true));
        send(new DefaultSpdyDataFrame(p.errorStream).setLast(true));
        closeSocket(p);
        context.runOnContext(v -> {
            byStream.remove(p.errorStream);
            byStream.remove(p.dataStream);
            byRequest.remove(p.requestId, p);
        });
    }

    private void closeSocket(Pair p) {
        Socket s;
        synchronized (p) {
            p.finished = true;
            s = p.socket;
        }
        if (s != null) {
            closeQuietly(s);
        }
        if (p.writer != null) {
            p.writer.shutdown();
        }
    }

    /** Encodes {@code frame} and queues it on the WebSocket, in the order frames are encoded (the header compression is stateful). */
    private void send(SpdyFrame frame) {
        synchronized (codec) {
            if (closed) {
                ReferenceCountUtil.release(frame);
                return;
            }
            codec.writeOutbound(frame);
            Buffer out = Buffer.buffer();
            ByteBuf b;
            while ((b = codec.readOutbound()) != null) {
                out.appendBytes(ByteBufUtil.getBytes(b));
                b.release();
            }
            if (out.length() > 0) {
                context.runOnContext(v -> {
                    if (!ws.isClosed()) {
                        ws.writeBinaryMessage(out);
                    }
                });
            }
        }
    }

    private void fail(String why) {
        LOG.info("event=portforward-protocol-error pod={} error=\"{}\"", pod, why);
        send(new DefaultSpdyGoAwayFrame(0));
        context.runOnContext(v -> ws.close());
    }

    private void closeAll() {
        synchronized (codec) {
            if (closed) {
                return;
            }
            closed = true;
            codec.finishAndReleaseAll();
        }
        context.runOnContext(v -> {
            for (Pair p : new ArrayList<>(byRequest.values())) {
                closeSocket(p);
            }
            byRequest.clear();
            byStream.clear();
        });
        LOG.info("event=portforward-closed pod={}", pod);
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // closed already
        }
    }
}
