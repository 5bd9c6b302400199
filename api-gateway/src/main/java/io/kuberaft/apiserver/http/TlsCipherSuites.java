package io.kuberaft.apiserver.http;

import com.sun.management.HotSpotDiagnosticMXBean;

import java.lang.management.ManagementFactory;
import java.util.List;

/**
 * The TLS cipher suites the API server enables, in its order of preference (the JDK's server honours its own order):
 * the AEAD suites Go offers by default (what kubectl and client-go speak), with ChaCha20-Poly1305 first when the JIT
 * stops at C1. AES-GCM is fast only through HotSpot's C2 intrinsics (AES-CTR, GHASH); under C1, which `up` runs by
 * default, GHASH is plain Java: a third of a busy leader's Java samples in `bench api`, and 4× slower than
 * ChaCha20-Poly1305, which needs no intrinsic (README, "TLS under C1"). Clients that offer no ChaCha20 still get AES-GCM.
 */
public final class TlsCipherSuites {
    private static final List<String> CHACHA = List.of(
            "TLS_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");
    private static final List<String> AES_GCM = List.of(
            "TLS_AES_128_GCM_SHA256",
            "TLS_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384");

    private TlsCipherSuites() {
    }

    /** The suites for this JVM. */
    public static List<String> preferred() {
        return preferred(tieredStopAtLevel());
    }

    /** The suites for a JVM whose JIT stops at tier {@code tieredStopAtLevel} (4: C2). */
    public static List<String> preferred(int tieredStopAtLevel) {
        return tieredStopAtLevel >= 4 ? concat(AES_GCM, CHACHA) : concat(CHACHA, AES_GCM);
    }

    private static List<String> concat(List<String> a, List<String> b) {
        return java.util.stream.Stream.concat(a.stream(), b.stream()).toList();
    }

    private static int tieredStopAtLevel() {
        try {
            return Integer.parseInt(ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
                    .getVMOption("TieredStopAtLevel").getValue());
        } catch (RuntimeException e) {
            return 4; // not HotSpot: assume an optimizing JIT
        }
    }
}
