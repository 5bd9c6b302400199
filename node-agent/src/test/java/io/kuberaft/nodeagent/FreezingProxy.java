package io.kuberaft.nodeagent;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy on loopback standing for the load balancer in front of a replica that freezes (SIGSTOP): connections
 * made before {@link #freezeExisting()} stay open and forward nothing, as the stopped process's kernel keeps its
 * sockets; new connections flow, as the load balancer sends them to a replica that answers.
 */
final class FreezingProxy implements AutoCloseable {
    final ServerSocket listener;
    final List<Socket> frozenCandidates = new CopyOnWriteArrayList<>();
    final List<AtomicBoolean> flows = new CopyOnWriteArrayList<>();
    final AtomicInteger accepted = new AtomicInteger();
    final int backend;
    /** Each chunk of a request waits this long before it is forwarded: an API answering slowly. */
    final long requestDelayMs;

    FreezingProxy(int backend) throws IOException {
        this(backend, 0);
    }

    FreezingProxy(int backend, long requestDelayMs) throws IOException {
        this.backend = backend;
        this.requestDelayMs = requestDelayMs;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(this::accept, "freezing-proxy");
        t.setDaemon(true);
        t.start();
    }

    int port() {
        return listener.getLocalPort();
    }

    /** Connections made so far. */
    int accepted() {
        return accepted.get();
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket in = listener.accept();
                Socket out = new Socket(InetAddress.getLoopbackAddress(), backend);
                accepted.incrementAndGet();
                AtomicBoolean flowing = new AtomicBoolean(true);
                flows.add(flowing);
                frozenCandidates.add(in);
                frozenCandidates.add(out);
                pump(in.getInputStream(), out.getOutputStream(), flowing, requestDelayMs);
                pump(out.getInputStream(), in.getOutputStream(), flowing, 0);
            } catch (IOException e) {
                return;
            }
        }
    }

    private static void pump(InputStream from, OutputStream to, AtomicBoolean flowing, long delayMs) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[16384];
            try {
                int n;
                while ((n = from.read(buf)) >= 0) {
                    while (!flowing.get()) {
                        Thread.sleep(50); // frozen: hold the bytes, keep the socket open
                    }
                    if (delayMs > 0) {
                        Thread.sleep(delayMs);
                    }
                    to.write(buf, 0, n);
                    to.flush();
                }
            } catch (IOException | InterruptedException e) {
                // connection over
            }
        }, "freezing-proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    /** Every connection made so far stops forwarding (as a SIGSTOPped replica); new ones still flow. */
    void freezeExisting() {
        flows.forEach(f -> f.set(false));
    }

    @Override
    public void close() throws IOException {
        listener.close();
        for (Socket s : frozenCandidates) {
            s.close();
        }
    }
}
