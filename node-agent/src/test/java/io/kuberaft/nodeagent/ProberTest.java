package io.kuberaft.nodeagent;

import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.kuberaft.nodeagent.runtime.ProcessRuntime;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The kubelet's wording of failed http and tcp probes, which Unhealthy events and hook failures show (Go's net errors). */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ProberTest {
    @TempDir
    Path tmp;
    private ProcessRuntime runtime;
    private final List<Socket> held = new ArrayList<>();

    private Prober prober() {
        runtime = new ProcessRuntime(tmp, Clock.systemUTC());
        return new Prober(runtime);
    }

    @AfterEach
    void close() throws Exception {
        for (Socket s : held) {
            s.close();
        }
        if (runtime != null) {
            runtime.close();
        }
    }

    /** The process runtime's pods share the host's loopback, so the probe dials 127.0.0.1 and speaks of the pod IP. */
    private static Prober.Target target() {
        return new Prober.Target(null, new ContainerBuilder().withName("main").build(), "10.1.2.3", "uid-1");
    }

    private static int closedPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Test
    void refusedHttpAndTcpProbesSayConnectionRefused() throws Exception {
        Prober prober = prober();
        int port = closedPort();
        // a generous timeout: the first HTTP probe of a JVM on a loaded machine took over the default 1 s in CI, and the
        // wording of a refusal, not the deadline, is what this test is about
        Probe http = new ProbeBuilder().withNewHttpGet().withPath("/healthz").withPort(new IntOrString(port)).endHttpGet()
                .withTimeoutSeconds(10).build();
        Prober.Result r = prober.probe(http, "Liveness", target());
        assertThat(r.success()).isFalse();
        assertThat(r.message()).isEqualTo("Get \"http://10.1.2.3:" + port + "/healthz\": dial tcp 10.1.2.3:" + port + ": connect: connection refused");

        Probe tcp = new ProbeBuilder().withNewTcpSocket().withPort(new IntOrString(port)).endTcpSocket().withTimeoutSeconds(10).build();
        r = prober.probe(tcp, "Readiness", target());
        assertThat(r.success()).isFalse();
        assertThat(r.message()).isEqualTo("dial tcp 10.1.2.3:" + port + ": connect: connection refused");
    }

    /** A listener whose accept queue is full drops new SYNs (Linux): the dial times out instead of being refused. */
    @Test
    void aTcpProbeThatCannotConnectInTimeSaysIoTimeout() throws Exception {
        Prober prober = prober();
        try (ServerSocket full = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = full.getLocalPort();
            // Fill the accept queue (never accepted) until a connect no longer completes at once.
            boolean filled = false;
            for (int i = 0; i < 16 && !filled; i++) {
                Socket s = new Socket();
                try {
                    s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 300);
                    held.add(s);
                } catch (java.net.SocketTimeoutException e) {
                    s.close();
                    filled = true;
                }
            }
            org.junit.jupiter.api.Assumptions.assumeTrue(filled, "this kernel does not drop SYNs to a full accept queue");
            Probe tcp = new ProbeBuilder().withNewTcpSocket().withPort(new IntOrString(port)).endTcpSocket().withTimeoutSeconds(1).build();
            Prober.Result r = prober.probe(tcp, "Liveness", target());
            assertThat(r.success()).isFalse();
            assertThat(r.message()).isEqualTo("dial tcp 10.1.2.3:" + port + ": i/o timeout");
        }
    }

    @Test
    void netErrorsInGosWords() {
        assertThat(Prober.netError("10.0.0.1:80", new java.net.ConnectException())).isEqualTo("dial tcp 10.0.0.1:80: connect: connection refused");
        assertThat(Prober.netError("10.0.0.1:80", new java.io.IOException(new java.net.ConnectException("Connection refused"))))
                .isEqualTo("dial tcp 10.0.0.1:80: connect: connection refused");
        assertThat(Prober.netError("10.0.0.1:80", new java.net.SocketTimeoutException("Connect timed out"))).isEqualTo("dial tcp 10.0.0.1:80: i/o timeout");
        assertThat(Prober.netError("db.example:5432", new java.net.UnknownHostException("db.example")))
                .isEqualTo("dial tcp: lookup db.example: no such host");
    }
}
