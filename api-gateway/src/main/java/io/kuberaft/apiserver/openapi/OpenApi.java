package io.kuberaft.apiserver.openapi;

import io.kuberaft.apiserver.ApiServer;
import io.kuberaft.apiserver.http.MediaTypes;
import io.kuberaft.apiserver.http.Reply;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.apiserver.registry.ResourceRegistry;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * /openapi/v2 and /openapi/v3 (index and per group-version), generated from the registry's kinds.
 *
 * <p>kubectl 1.32 with default validation reads {@code /openapi/v3} (does the PATCH operation of the kind
 * take {@code fieldValidation}? which patch types?) and, when the server does not validate fields
 * itself, validates client-side against {@code /openapi/v2}, which client-go asks for — and parses — as
 * protobuf. {@code kubectl explain} reads the v3 group-version documents.
 *
 * <p>Documents are generated once per registry content (see {@link ResourceRegistry#version()}): CRDs
 * registering kinds regenerate them on the next request.
 */
public final class OpenApi {
    private static final Logger LOG = LoggerFactory.getLogger(OpenApi.class);
    /**
     * The protobuf v2 media type as served. Clients ask for {@code ...spec.v2@v1.0+protobuf}, but '@' is not
     * allowed in a media type and client-go rejects a response carrying it ("mime: unexpected content after
     * media subtype"), so the reply uses the {@code .v1.0} spelling, as upstream's handler does.
     */
    public static final String PROTO_V2 = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

    private final ResourceRegistry registry;
    private final boolean serverSideFieldValidation;
    private volatile Snapshot snapshot;

    private record Snapshot(long version, OpenApiDocuments docs) {
    }

    public OpenApi(ResourceRegistry registry) {
        this(registry, false);
    }

    /**
     * @param serverSideFieldValidation advertise the {@code fieldValidation} query parameter: kubectl then sends
     *                                  {@code fieldValidation=Strict} and relies on the server to reject unknown
     *                                  fields instead of checking them itself. Only set it when the server does.
     */
    public OpenApi(ResourceRegistry registry, boolean serverSideFieldValidation) {
        this.registry = registry;
        this.serverSideFieldValidation = serverSideFieldValidation;
    }

    /**
     * Generates the documents now on a daemon thread (about 2 s cold), so the first {@code kubectl apply}
     * does not wait for them. Safe to call any time; requests meanwhile wait for the same generation.
     */
    public OpenApi warmUp() {
        Thread t = new Thread(() -> {
            try {
                documents().v2Proto();
            } catch (RuntimeException | LinkageError e) {
                LOG.warn("OpenAPI generation failed: {}", e.toString(), e);
            }
        }, "openapi-warmup");
        t.setDaemon(true);
        t.start();
        return this;
    }

    /** The reply for an /openapi/... path, or null when the path is not one of them. */
    public Reply handle(String path, String accept) {
        String p = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        if (p.equals("/openapi/v2")) {
            OpenApiDocuments d = documents();
            if (accept != null && accept.contains("application/com.github.proto-openapi.spec.v2")) {
                return new Reply(200, RawBody.of(d.v2Proto()), PROTO_V2, null);
            }
            return new Reply(200, d.v2(), MediaTypes.JSON, null);
        }
        if (p.equals("/openapi/v3")) {
            return new Reply(200, documents().v3Index(), MediaTypes.JSON, null);
        }
        if (p.startsWith("/openapi/v3/")) {
            var doc = documents().v3(p.substring("/openapi/v3/".length()));
            return doc == null ? null : new Reply(200, doc, MediaTypes.JSON, null);
        }
        return null;
    }

    /**
     * The decoder of a kind's request bodies (JSON types, unknown fields) from its OpenAPI v3 schema, or null for a
     * kind without one.
     */
    public SchemaDecoder decoder(ResourceDefinition def) {
        return documents().decoder(def);
    }

    /** The current documents, regenerated when the registry changed. */
    OpenApiDocuments documents() {
        long v = registry.version();
        Snapshot s = snapshot;
        if (s != null && s.version() == v) {
            return s.docs();
        }
        synchronized (this) {
            s = snapshot;
            v = registry.version();
            if (s == null || s.version() != v) {
                // the create-only reviews (SelfSubjectAccessReview, …) are left out: nothing reads or lists them
                s = new Snapshot(v, new OpenApiDocuments(registry.all().stream().filter(d -> d.allows("get")).toList(), ApiServer.GIT_VERSION, serverSideFieldValidation));
                snapshot = s;
            }
            return s.docs();
        }
    }
}
