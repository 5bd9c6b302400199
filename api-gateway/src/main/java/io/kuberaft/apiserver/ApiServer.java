package io.kuberaft.apiserver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.admission.StandardAdmission;
import io.kuberaft.apiserver.auth.AccessReviews;
import io.kuberaft.apiserver.auth.Attributes;
import io.kuberaft.apiserver.auth.TokenRequests;
import io.kuberaft.apiserver.auth.Authenticator;
import io.kuberaft.apiserver.auth.Impersonation;
import io.kuberaft.apiserver.auth.RbacAuthorizer;
import io.kuberaft.apiserver.auth.ServiceAccountTokens;
import io.kuberaft.apiserver.auth.RequestUser;
import io.kuberaft.apiserver.auth.UserInfo;
import io.kuberaft.apiserver.http.Discovery;
import io.kuberaft.apiserver.http.MediaTypes;
import io.kuberaft.apiserver.http.Reply;
import io.kuberaft.apiserver.http.RequestInfo;
import io.kuberaft.apiserver.http.ResourceHandler;
import io.kuberaft.apiserver.http.WatchEvent;
import io.kuberaft.apiserver.http.WatchHandler;
import io.kuberaft.apiserver.openapi.OpenApi;
import io.kuberaft.apiserver.patch.Patcher;
import io.kuberaft.apiserver.registry.BuiltinResources;
import io.kuberaft.apiserver.registry.GenericRegistry;
import io.kuberaft.apiserver.registry.Objects;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.apiserver.registry.ResourceRegistry;
import io.kuberaft.apiserver.registry.ResourceStore;
import io.kuberaft.kubeapi.StatusException;
import io.kuberaft.raftstore.ClusterView;
import io.kuberaft.raftstore.WatchableKvStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The Kubernetes REST API of one replica on Vert.x: health, version, discovery, metrics and every
 * registered resource. Request handling runs on worker threads; watches stream from the replica's
 * own watch hub.
 */
public final class ApiServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ApiServer.class);
    public static final String GIT_VERSION = "v1.32.4-kuberaft.0.1.0";

    /**
     * How often a watch that asked for bookmarks gets one (upstream: about a minute). Shorter here because
     * clients behind a TCP load balancer over HTTP/1.1 tell a frozen replica from a quiet one by them (the
     * node agent's WatchIdleTimeout); client-go uses HTTP/2 pings for that.
     */
    public static final long DEFAULT_BOOKMARK_INTERVAL_MS = 10_000;

    /**
     * @param tokens              bearer token → user (--token-auth-file); empty, no client CA and no service account key = no
     *                            authentication, everyone is an admin (tests)
     * @param serviceAccountKey   public key that verifies ServiceAccount tokens (--service-account-key-file)
     * @param serviceAccountSigningKey private key that signs them (--service-account-signing-key-file; null: no TokenRequest)
     */
    public record Options(String host, int port, Path tlsCert, Path tlsKey, Path clientCa, Map<String, UserInfo> tokens,
                          long bookmarkIntervalMs, Path kubeletClientCert, Path kubeletClientKey,
                          Path serviceAccountKey, Path serviceAccountSigningKey, String serviceAccountIssuer, String loopbackToken) {
        public Options(String host, int port, Path tlsCert, Path tlsKey, Path clientCa, Map<String, UserInfo> tokens, long bookmarkIntervalMs) {
            this(host, port, tlsCert, tlsKey, clientCa, tokens, bookmarkIntervalMs, null, null, null, null, null, null);
        }

        public static Options plain(String host, int port) {
            return new Options(host, port, null, null, null, Map.of(), DEFAULT_BOOKMARK_INTERVAL_MS);
        }

        public Options withBookmarkInterval(long ms) {
            return new Options(host, port, tlsCert, tlsKey, clientCa, tokens, ms, kubeletClientCert, kubeletClientKey,
                    serviceAccountKey, serviceAccountSigningKey, serviceAccountIssuer, loopbackToken);
        }

        /** The client certificate the API server presents to node agents (logs, exec), as kube-apiserver's --kubelet-client-certificate. */
        public Options withKubeletClient(Path cert, Path key) {
            return new Options(host, port, tlsCert, tlsKey, clientCa, tokens, bookmarkIntervalMs, cert, key,
                    serviceAccountKey, serviceAccountSigningKey, serviceAccountIssuer, loopbackToken);
        }

        public Options withServiceAccountKeys(Path publicKey, Path signingKey, String issuer) {
            return new Options(host, port, tlsCert, tlsKey, clientCa, tokens, bookmarkIntervalMs, kubeletClientCert, kubeletClientKey,
                    publicKey, signingKey, issuer, loopbackToken);
        }

        /**
         * The token of this process's own controllers (one of {@code tokens}). With TLS on, the server also listens in plain
         * HTTP on a loopback port that serves this token only ({@link #loopbackUrl()}): the leader's controllers exchange
         * every watch event and write with their own replica, and TLS on that path cost a sixth of the leader's CPU.
         */
        public Options withLoopbackToken(String token) {
            return new Options(host, port, tlsCert, tlsKey, clientCa, tokens, bookmarkIntervalMs, kubeletClientCert, kubeletClientKey,
                    serviceAccountKey, serviceAccountSigningKey, serviceAccountIssuer, token);
        }
    }

    private final Vertx vertx;
    private final HttpServer server;
    /** Plain HTTP on loopback for this process's controllers only; null without TLS or a loopback token. */
    private final HttpServer loopback;
    private final ResourceRegistry registry;
    private final ResourceHandler resources;
    private final WatchHandler watches;
    private final Discovery discovery;
    private final ClusterView view;
    private final Supplier<String> metrics;
    private final MeterRegistry meters;
    private final Options options;
    private final ScheduledExecutorService timers;
    private final GenericRegistry generic;
    private final io.kuberaft.apiserver.admission.Lookup lookup;
    private final ApiMetrics apiMetrics;
    private final OpenApi openApi;
    private final io.kuberaft.apiserver.crd.CrdRegistrar crds;
    private final io.kuberaft.apiserver.http.PodStreams podStreams;
    private final io.kuberaft.apiserver.http.ProxySubresource proxies;
    private final io.kuberaft.apiserver.admission.SystemBootstrap bootstrap;
    private final Authenticator authenticator;
    private final RbacAuthorizer authorizer;
    private final AccessReviews accessReviews;
    private final TokenRequests tokenRequests;
    private final java.util.Optional<ServiceAccountTokens> serviceAccountTokens;
    private final io.kuberaft.apiserver.metrics.ResourceMetrics resourceMetrics;
    private final io.kuberaft.apiserver.http.ComponentStatuses componentStatuses;

    private ApiServer(Options options, WatchableKvStore kv, ClusterView view, MeterRegistry meters, Supplier<String> metrics) {
        this.options = options;
        this.view = view;
        this.meters = meters;
        this.metrics = metrics;
        this.vertx = Vertx.vertx(new VertxOptions().setWorkerPoolSize(64));
        this.registry = new ResourceRegistry();
        BuiltinResources.registerAll(registry);
        io.kuberaft.apiserver.metrics.ResourceMetrics.register(registry);
        ResourceStore store = new ResourceStore(kv);
        StandardAdmission.Started started = StandardAdmission.startRegistry(registry, store);
        this.bootstrap = started.bootstrap();
        GenericRegistry generic = started.generic();
        this.generic = generic;
        this.lookup = new io.kuberaft.apiserver.admission.Lookup(registry, store);
        try {
            this.serviceAccountTokens = ServiceAccountTokens.load(options.serviceAccountSigningKey(), options.serviceAccountKey(),
                    options.serviceAccountIssuer());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        this.authenticator = new Authenticator(options.tokens(), options.clientCa() != null, serviceAccountTokens, lookup);
        if (serviceAccountTokens.isPresent()) {
            String caPem = null;
            try {
                caPem = options.clientCa() == null ? null : java.nio.file.Files.readString(options.clientCa());
            } catch (java.io.IOException e) {
                LOG.warn("cannot read {}: legacy token Secrets get no ca.crt: {}", options.clientCa(), e.toString());
            }
            generic.admission().register(new io.kuberaft.apiserver.admission.ServiceAccountTokenSecrets(lookup, serviceAccountTokens.get(), caPem));
        }
        this.authorizer = new RbacAuthorizer(lookup);
        generic.admission().register(new io.kuberaft.apiserver.auth.RbacEscalationCheck(lookup, authorizer));
        this.accessReviews = new AccessReviews(authorizer, authenticator, serviceAccountTokens);
        this.tokenRequests = new TokenRequests(serviceAccountTokens, lookup, java.time.Clock.systemUTC());
        Patcher patcher = io.kuberaft.apiserver.patch.KubePatcher.install(generic);
        // Generated in the background at start-up: the first `kubectl apply` would otherwise wait ~2 s for it.
        // The documents advertise fieldValidation: the server decodes bodies strictly itself (FieldValidation),
        // so kubectl sends fieldValidation=Strict instead of validating client-side.
        this.openApi = new OpenApi(registry, true).warmUp();
        this.resources = new ResourceHandler(registry, generic, patcher, new io.kuberaft.apiserver.http.FieldValidation(openApi));
        this.timers = Executors.newScheduledThreadPool(1, r -> {
            Thread t = new Thread(r, "kuberaft-api-timers");
            t.setDaemon(true);
            return t;
        });
        this.watches = new WatchHandler(store, timers, options.bookmarkIntervalMs());
        // Custom resources are served on this replica as soon as its own store has their CRD.
        this.crds = io.kuberaft.apiserver.crd.CrdRegistrar.start(store, registry);
        this.discovery = new Discovery(registry);
        this.componentStatuses = new io.kuberaft.apiserver.http.ComponentStatuses(view);
        this.apiMetrics = new ApiMetrics(meters);
        this.podStreams = new io.kuberaft.apiserver.http.PodStreams(vertx, store, registry, options.kubeletClientCert(), options.kubeletClientKey());
        this.proxies = new io.kuberaft.apiserver.http.ProxySubresource(vertx, store, registry, podStreams.agentClient());
        this.resourceMetrics = new io.kuberaft.apiserver.metrics.ResourceMetrics(vertx, store, registry, podStreams.agentClient());
        HttpServerOptions ho = new HttpServerOptions().setHost(options.host()).setPort(options.port())
                .setCompressionSupported(true).setMaxFormAttributeSize(MediaTypes.MAX_BODY_BYTES)
                .setWebSocketSubProtocols(io.kuberaft.apiserver.http.PodStreams.WEBSOCKET_PROTOCOLS)
                .setMaxWebSocketFrameSize(1024 * 1024).setMaxWebSocketMessageSize(4 * 1024 * 1024);
        if (options.tlsCert() != null) {
            ho.setSsl(true).setKeyCertOptions(new PemKeyCertOptions().setCertPath(options.tlsCert().toString())
                    .setKeyPath(options.tlsKey().toString()));
            io.kuberaft.apiserver.http.TlsCipherSuites.preferred().forEach(ho::addEnabledCipherSuite);
            if (options.clientCa() != null) {
                ho.setClientAuth(ClientAuth.REQUEST).setTrustOptions(new PemTrustOptions().addCertPath(options.clientCa().toString()));
            }
        }
        Router router = Router.router(vertx);
        BodyHandler bodies = BodyHandler.create(false).setBodyLimit(MediaTypes.MAX_BODY_BYTES).setHandleFileUploads(false);
        // An upgrade (WebSocket, SPDY) has no body, and once a body handler has read the request it can no longer be upgraded.
        router.route().handler(ctx -> {
            if (isWebSocketUpgrade(ctx) || ctx.request().getHeader("Upgrade") != null) {
                ctx.next();
            } else {
                bodies.handle(ctx);
            }
        });
        router.route().handler(this::handle);
        router.route().failureHandler(ctx -> {
            int code = ctx.statusCode();
            StatusException e = code == 413
                    ? StatusException.tooLarge("Request entity too large: limit is 3145728")
                    : ctx.failure() instanceof StatusException se ? se : StatusException.internal(String.valueOf(ctx.failure()));
            sendError(ctx, e);
        });
        this.server = vertx.createHttpServer(ho).requestHandler(router);
        if (options.tlsCert() != null && options.loopbackToken() != null && !options.loopbackToken().isEmpty()) {
            String bearer = "Bearer " + options.loopbackToken();
            HttpServerOptions lo = new HttpServerOptions(ho).setSsl(false).setClientAuth(ClientAuth.NONE).setHost("127.0.0.1").setPort(0);
            this.loopback = vertx.createHttpServer(lo).requestHandler(req -> {
                if (bearer.equals(req.getHeader("Authorization"))) {
                    router.handle(req);
                } else {
                    req.response().setStatusCode(401).putHeader("Content-Type", MediaTypes.JSON).end(Buffer.buffer(MediaTypes.encode(
                            new StatusException(401, "Unauthorized", "this port serves the replica's own controllers only").toStatus(), false)));
                }
            });
        } else {
            this.loopback = null;
        }
    }

    public static ApiServer start(Options options, WatchableKvStore kv, ClusterView view, MeterRegistry meters,
                                  Supplier<String> metricsText) {
        ApiServer s = new ApiServer(options, kv, view, meters, metricsText);
        s.server.listen().toCompletionStage().toCompletableFuture().join();
        if (s.loopback != null) {
            s.loopback.listen().toCompletionStage().toCompletableFuture().join();
        }
        var kubernetesService = new io.kuberaft.apiserver.admission.KubernetesServiceController(s.generic, s.lookup, view.replicaId(),
                advertiseAddress(options.host()), s.port(), java.time.Clock.systemUTC());
        s.timers.scheduleWithFixedDelay(kubernetesService::run, 1_000,
                io.kuberaft.apiserver.admission.KubernetesServiceController.INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
        var storageObjects = new io.kuberaft.apiserver.metrics.StorageObjects(s.registry, s.generic.store(), s.meters);
        s.timers.scheduleWithFixedDelay(() -> {
            try {
                storageObjects.refresh();
            } catch (RuntimeException e) {
                LOG.debug("apiserver_storage_objects: {}", e.toString());
            }
        }, 0, io.kuberaft.apiserver.metrics.StorageObjects.INTERVAL_MS, TimeUnit.MILLISECONDS);
        LOG.info("API server listening on {}://{}:{}", options.tlsCert() != null ? "https" : "http", options.host(), s.port());
        return s;
    }

    /** The IP this replica publishes in the {@code kubernetes} Endpoints: the bind address, or this host's when it binds every address. */
    static String advertiseAddress(String host) {
        try {
            java.net.InetAddress a = java.net.InetAddress.getByName(host);
            return a.isAnyLocalAddress() ? java.net.InetAddress.getLocalHost().getHostAddress() : a.getHostAddress();
        } catch (java.net.UnknownHostException e) {
            return "127.0.0.1";
        }
    }

    public int port() {
        return server.actualPort();
    }

    /** Where this process's controllers reach the API: the loopback listener when there is one, else the main one. */
    public String loopbackUrl() {
        if (loopback != null) {
            return "http://127.0.0.1:" + loopback.actualPort();
        }
        String host = options.host().equals("0.0.0.0") || options.host().equals("::") ? "127.0.0.1" : options.host();
        return (options.tlsCert() != null ? "https://" : "http://") + host + ":" + port();
    }

    public ResourceRegistry registry() {
        return registry;
    }

    /**
     * Upstream's handlers: a write without {@code fieldManager} is recorded in managedFields under the User-Agent's
     * product ("kubectl" for kubectl/v1.32.4 …, at most 128 characters), so later conflicts name who owns a field.
     * Server-side apply still requires it explicitly.
     */
    static void defaultFieldManager(Map<String, String> params, String method, String contentType, String userAgent) {
        boolean write = method.equals("POST") || method.equals("PUT") || method.equals("PATCH");
        boolean apply = contentType != null && contentType.startsWith("application/apply-patch");
        if (!write || apply || params.containsKey("fieldManager") || userAgent == null || userAgent.isBlank()) {
            return;
        }
        String product = userAgent.split("/", 2)[0].trim();
        if (!product.isEmpty()) {
            params.put("fieldManager", product.length() > 128 ? product.substring(0, 128) : product);
        }
    }

    private void handle(RoutingContext ctx) {
        String path = ctx.request().path();
        String method = ctx.request().method().name();
        long start = System.nanoTime();
        Authenticator.Result auth = authenticator.authenticate(ctx.request());
        if (auth.user() == null) {
            sendError(ctx, new StatusException(401, "Unauthorized", "Unauthorized"));
            return;
        }
        Map<String, String> params = new HashMap<>();
        ctx.queryParams().forEach(e -> params.putIfAbsent(e.getKey(), e.getValue()));
        defaultFieldManager(params, method, ctx.request().getHeader("Content-Type"), ctx.request().getHeader("User-Agent"));
        ResourceHandler.Query q = new ResourceHandler.Query(params);
        RequestInfo info;
        try {
            info = RequestInfo.parse(method, path, q.flag("watch"));
        } catch (StatusException e) {
            sendError(ctx, e);
            return;
        }
        boolean impersonating = Impersonation.requested(ctx.request().headers());
        boolean publicInfo = info == null && PUBLIC_PATHS.contains(path);
        if (publicInfo || (auth.user().isMaster() && !impersonating && auth.pending() == null)) {
            dispatch(ctx, info, q, params, auth.user(), start);
            return;
        }
        // Everyone else is authorized against the RBAC policy in the store: off the event loop. An upgrade request must
        // not be read to its end meanwhile, or it could no longer be upgraded.
        if (ctx.request().getHeader("Upgrade") != null) {
            ctx.request().pause();
        }
        vertx.<UserInfo>executeBlocking(() -> {
            if (auth.pending() != null && !authenticator.stillValid(auth.pending(), auth.token())) {
                throw new StatusException(401, "Unauthorized", "Unauthorized");
            }
            UserInfo user = impersonating ? Impersonation.apply(auth.user(), ctx.request().headers(), authorizer) : auth.user();
            Attributes a = Attributes.of(user, method, path, info);
            if (!authorizer.allows(a)) {
                throw a.forbidden();
            }
            return user;
        }, false).onComplete(ar -> {
            if (ar.failed()) {
                StatusException e = ar.cause() instanceof StatusException se ? se : ResourceStore.translate(ar.cause());
                apiMetrics.record(ApiMetrics.verb(info, method, ctx.request().getHeader("Content-Type")), info == null ? "" : info.resource(),
                        e.code(), System.nanoTime() - start);
                sendError(ctx, e);
            } else {
                dispatch(ctx, info, q, params, ar.result(), start);
            }
        });
    }

    private static byte[] body(RoutingContext ctx) {
        Buffer b = ctx.body().buffer();
        return b == null ? new byte[0] : b.getBytes();
    }

    /** Health and version: public, never a store read (load balancers poll them, also while there is no quorum). */
    private static final java.util.Set<String> PUBLIC_PATHS = java.util.Set.of("/healthz", "/livez", "/readyz", "/version", "/version/");

    /** Serves an authenticated and authorized request. */
    private void dispatch(RoutingContext ctx, RequestInfo info, ResourceHandler.Query q, Map<String, String> params, UserInfo user, long start) {
        String path = ctx.request().path();
        String method = ctx.request().method().name();
        Context eventLoop = Vertx.currentContext();
        String accept = ctx.request().getHeader("Accept");
        if (io.kuberaft.apiserver.http.PodStreams.handles(info) || io.kuberaft.apiserver.http.ProxySubresource.handles(info)) {
            // counted when the stream or proxied exchange ends, as upstream's CONNECT requests
            ctx.addEndHandler(ar -> apiMetrics.record(ApiMetrics.verb(info, method, null), info.resource(), ctx.response().getStatusCode(),
                    System.nanoTime() - start));
        }
        if (io.kuberaft.apiserver.http.PodStreams.handles(info)) {
            podStreams.serve(ctx, info, params, isWebSocketUpgrade(ctx), e -> sendError(ctx, e));
            return;
        }
        if (io.kuberaft.apiserver.http.ProxySubresource.handles(info)) {
            proxies.serve(ctx, info, e -> sendError(ctx, e));
            return;
        }
        if (io.kuberaft.apiserver.metrics.ResourceMetrics.handles(info)) {
            resourceMetrics.serve(info, params, accept).onComplete(ar -> {
                StatusException e = ar.failed() ? ar.cause() instanceof StatusException se ? se : ResourceStore.translate(ar.cause()) : null;
                apiMetrics.record(ApiMetrics.verb(info, "GET", null), info.resource(), e == null ? 200 : e.code(), System.nanoTime() - start);
                if (e == null) {
                    send(ctx, ar.result(), accept);
                } else {
                    sendError(ctx, e);
                }
            });
            return;
        }
        if (info != null && info.verb().equals("watch") && isWebSocketUpgrade(ctx)) {
            watchOverWebSocket(ctx, info, q, accept, start);
            return;
        }
        if (info != null && info.verb().equals("watch")) {
            vertx.<Void>executeBlocking(() -> {
                ResourceDefinition def = resources.resolve(info);
                q.longValue("timeoutSeconds", 0); // a malformed parameter is a 400 before the 200 of the stream is sent
                apiMetrics.longRunning(+1);
                // Never compressed (as upstream): a gzip stream holds back even its header until the first
                // event, and clients that open the decoder eagerly (fabric8) would wait for it.
                ctx.response().putHeader("Content-Encoding", "identity");
                ctx.response().setChunked(true).setStatusCode(200).putHeader("Content-Type",
                        MediaTypes.wantsTable(accept) ? "application/json;as=Table;v=v1;g=meta.k8s.io" : MediaTypes.JSON);
                watches.start(def, def.namespaced() ? info.namespace() : null, q, accept, new VertxSink(ctx.response(), eventLoop));
                ctx.response().closeHandler(v -> apiMetrics.longRunning(-1));
                // Upstream flushes the 200 at once: client-go's watch call returns only when the headers arrive, and a
                // quiet watch (kubectl wait on an object that already meets its condition) would otherwise hang.
                eventLoop.runOnContext(v -> {
                    if (!ctx.response().headWritten() && !ctx.response().ended() && !ctx.response().closed()) {
                        ctx.response().writeHead();
                    }
                });
                apiMetrics.record("WATCH", def.plural(), 200, System.nanoTime() - start);
                return null;
            }, false).onFailure(t -> sendError(ctx, t instanceof StatusException se ? se : ResourceStore.translate(t)));
            return;
        }
        long fence;
        try {
            fence = fenceTerm(ctx.request().getHeader(ResourceStore.FENCE_HEADER));
        } catch (StatusException e) {
            sendError(ctx, e);
            return;
        }
        vertx.<Reply>executeBlocking(() -> ResourceStore.fenced(fence, () -> RequestUser.as(user, () -> route(ctx, info, q, accept, user))), false).onComplete(ar -> {
            String resource = info == null ? "" : info.resource();
            String verb = ApiMetrics.verb(info, method, ctx.request().getHeader("Content-Type"));
            if (ar.succeeded()) {
                Reply r = ar.result();
                apiMetrics.record(verb, resource, r.code(), System.nanoTime() - start);
                send(ctx, r, accept);
            } else {
                StatusException e = ar.cause() instanceof StatusException se ? se : ResourceStore.translate(ar.cause());
                if (e.code() >= 500 && e.code() != 503) {
                    LOG.warn("{} {} failed: {}", method, path, ar.cause().toString(), ar.cause());
                }
                apiMetrics.record(verb, resource, e.code(), System.nanoTime() - start);
                sendError(ctx, e);
            }
        });
    }

    private Reply route(RoutingContext ctx, RequestInfo info, ResourceHandler.Query q, String accept, UserInfo user) {
        String path = ctx.request().path();
        if (AccessReviews.handles(info)) {
            return accessReviews.handle(info, user, ctx.request().getHeader("Content-Type"), body(ctx));
        }
        if (TokenRequests.handles(info)) {
            return tokenRequests.handle(info, ctx.request().getHeader("Content-Type"), body(ctx));
        }
        if (info != null) {
            ResourceDefinition def = resources.resolve(info);
            if (io.kuberaft.apiserver.http.ComponentStatuses.handles(info)) {
                return componentStatuses.handle(info, def, accept);
            }
            return resources.handle(info, def, q, accept, ctx.request().getHeader("Content-Type"), body(ctx));
        }
        if (!ctx.request().method().name().equals("GET") && !ctx.request().method().name().equals("HEAD")) {
            throw StatusException.methodNotAllowed("the server does not allow this method on the requested resource");
        }
        String p = path.endsWith("/") && path.length() > 1 ? path.substring(0, path.length() - 1) : path;
        if (p.startsWith("/openapi/")) {
            Reply r = openApi.handle(p, accept);
            if (r != null) {
                return r;
            }
        }
        switch (p) {
            case "/healthz", "/livez" -> {
                return text(200, q.params().containsKey("verbose") ? "[+]ping ok\n" + p.substring(1) + " check passed\n" : "ok");
            }
            case "/readyz" -> {
                long leader = view.leaderId();
                long commit = view.commitIndex();
                long applied = view.appliedIndex();
                boolean hasLeader = leader != 0;
                boolean caughtUp = applied >= commit;
                // a replica started with --join hears from the leader while it is being brought up to date, before
                // it is a member: its store is empty or behind, so the load balancer must not send clients to it yet
                long self = view.memberId();
                boolean member = view.members().stream().anyMatch(m -> m.id() == self);
                String checks = "[+]ping ok\n" + (hasLeader ? "[+]" : "[-]") + "raft-leader " + (hasLeader ? "ok" : "failed: no leader known")
                        + "\n" + (member ? "[+]" : "[-]") + "raft-member " + (member ? "ok" : "failed: not a voting member (waiting to be added)")
                        + "\n" + (caughtUp ? "[+]" : "[-]") + "store-caught-up " + (caughtUp ? "ok" : "failed: applied " + applied + " < commit " + commit) + "\n";
                boolean ok = hasLeader && member && caughtUp;
                return text(ok ? 200 : 503, healthText(ok, checks, q.params().containsKey("verbose"), "readyz"));
            }
            case "/metrics" -> {
                return new Reply(200, com.fasterxml.jackson.databind.node.TextNode.valueOf(metrics.get()),
                        "text/plain; version=0.0.4; charset=utf-8", null);
            }
            case "/version" -> {
                ObjectNode v = Objects.JSON.createObjectNode();
                v.put("major", "1").put("minor", "32").put("gitVersion", GIT_VERSION).put("gitCommit", "kuberaft")
                        .put("gitTreeState", "clean").put("buildDate", "2026-11-22T00:00:00Z").put("goVersion", "java" + Runtime.version().feature())
                        .put("compiler", "javac").put("platform", "linux/amd64");
                return Reply.ok(v);
            }
            case "/api" -> {
                if (MediaTypes.wantsAggregatedDiscovery(accept)) {
                    return new Reply(200, discovery.aggregated(true), Discovery.AGGREGATED_CONTENT_TYPE, null);
                }
                return Reply.ok(discovery.apiVersions(ctx.request().localAddress().host() + ":" + port()));
            }
            case "/apis" -> {
                if (MediaTypes.wantsAggregatedDiscovery(accept)) {
                    return new Reply(200, discovery.aggregated(false), Discovery.AGGREGATED_CONTENT_TYPE, null);
                }
                return Reply.ok(discovery.apiGroupList());
            }
            default -> {
            }
        }
        String[] segs = p.substring(1).split("/");
        if (segs.length == 2 && segs[0].equals("api")) {
            JsonNode l = discovery.apiResourceList("", segs[1]);
            if (l != null) {
                return Reply.ok(l);
            }
        } else if (segs.length == 2 && segs[0].equals("apis")) {
            var versions = registry.groupVersions().get(segs[1]);
            if (versions != null && !segs[1].isEmpty()) {
                return Reply.ok(discovery.apiGroup(segs[1], versions));
            }
        } else if (segs.length == 3 && segs[0].equals("apis")) {
            JsonNode l = discovery.apiResourceList(segs[1], segs[2]);
            if (l != null) {
                return Reply.ok(l);
            }
        }
        throw new StatusException(404, "NotFound", "the server could not find the requested resource");
    }

    private static Reply text(int code, String body) {
        return new Reply(code, com.fasterxml.jackson.databind.node.TextNode.valueOf(body), "text/plain; charset=utf-8", null);
    }

    private static boolean isWebSocketUpgrade(RoutingContext ctx) {
        String upgrade = ctx.request().getHeader("Upgrade");
        return upgrade != null && upgrade.equalsIgnoreCase("websocket");
    }

    /**
     * A watch over a WebSocket, as kube-apiserver serves it (fabric8 watches this way): one event per
     * text message. The upgrade happens on the event loop; the watch starts on a worker like any other.
     */
    private void watchOverWebSocket(RoutingContext ctx, RequestInfo info, ResourceHandler.Query q, String accept, long start) {
        ResourceDefinition def;
        try {
            def = resources.resolve(info);
            q.longValue("timeoutSeconds", 0);
        } catch (StatusException e) {
            sendError(ctx, e);
            return;
        }
        Context eventLoop = Vertx.currentContext();
        ctx.request().toWebSocket().onSuccess(ws -> vertx.<Void>executeBlocking(() -> {
            apiMetrics.longRunning(+1);
            WebSocketSink sink = new WebSocketSink(ws, eventLoop);
            sink.onClose(() -> apiMetrics.longRunning(-1));
            watches.start(def, def.namespaced() ? info.namespace() : null, q, accept, sink);
            apiMetrics.record("WATCH", def.plural(), 101, System.nanoTime() - start);
            return null;
        }, false).onFailure(t -> {
            StatusException e = t instanceof StatusException se ? se : ResourceStore.translate(t);
            ws.writeTextMessage(MediaTypes.encodeString(errorEvent(e))).onComplete(x -> ws.close());
        })).onFailure(t -> LOG.info("websocket upgrade of {} failed: {}", ctx.request().path(), t.toString()));
    }

    private static ObjectNode errorEvent(StatusException e) {
        ObjectNode ev = io.kuberaft.apiserver.registry.Objects.JSON.createObjectNode();
        ev.put("type", "ERROR");
        ev.set("object", e.toStatus());
        return ev;
    }

    /** The term a leader-only client fences its writes with; anyone may send it, as it can only refuse writes. */
    static long fenceTerm(String header) {
        if (header == null || header.isBlank()) {
            return 0;
        }
        try {
            long term = Long.parseLong(header.trim());
            if (term > 0) {
                return term;
            }
        } catch (NumberFormatException e) {
            // falls through to the error below
        }
        throw StatusException.badRequest(ResourceStore.FENCE_HEADER + " must be a positive integer, got \"" + header + "\"");
    }

    private void send(RoutingContext ctx, Reply r, String accept) {
        HttpServerResponse resp = ctx.response();
        boolean yaml = MediaTypes.wantsYaml(accept) && r.contentType().equals(MediaTypes.JSON);
        resp.setStatusCode(r.code()).putHeader("Content-Type", yaml ? MediaTypes.YAML : r.contentType());
        for (String w : r.warnings()) {
            // RFC 7234 warn-text is a quoted-string: kubectl prints it unescaped after "Warning: "
            resp.headers().add("Warning", "299 - \"" + w.replace("\\", "\\\\").replace("\"", "\\\"") + "\"");
        }
        if (ctx.request().method().name().equals("HEAD")) {
            resp.end();
        } else if (r.contentType().startsWith("text/plain")) {
            resp.end(r.body().asText());
        } else {
            resp.end(Buffer.buffer(MediaTypes.encode(r.body(), yaml)));
        }
    }

    private void sendError(RoutingContext ctx, StatusException e) {
        HttpServerResponse resp = ctx.response();
        if (resp.ended() || resp.headWritten()) {
            if (!resp.ended()) {
                resp.end();
            }
            return;
        }
        resp.setStatusCode(e.code()).putHeader("Content-Type", MediaTypes.JSON);
        if (e.retryAfterSeconds() != null) {
            resp.putHeader("Retry-After", String.valueOf(e.retryAfterSeconds()));
        }
        resp.end(Buffer.buffer(MediaTypes.encode(e.toStatus(), false)));
    }

    /** Health endpoints are served before everything else (no auth, no body). */
    public static String healthText(boolean ok, String checks, boolean verbose, String what) {
        return verbose ? checks + (ok ? what + " check passed\n" : what + " check failed\n") : ok ? "ok" : what + " check failed";
    }

    /** Streams watch events through the event loop that owns the connection. */
    private static final class WebSocketSink implements WatchHandler.Sink {
        private static final int MAX_QUEUED_BYTES = 16 * 1024 * 1024;
        private final io.vertx.core.http.ServerWebSocket ws;
        private final Context context;
        private final java.util.List<Runnable> onClose = new java.util.concurrent.CopyOnWriteArrayList<>();
        private volatile boolean ended;

        WebSocketSink(io.vertx.core.http.ServerWebSocket ws, Context context) {
            this.ws = ws;
            this.context = context;
            ws.setWriteQueueMaxSize(MAX_QUEUED_BYTES);
            ws.closeHandler(v -> onClose.forEach(Runnable::run));
        }

        @Override
        public void send(WatchEvent event) {
            context.runOnContext(v -> {
                if (!ended && !ws.isClosed()) {
                    ws.writeTextMessage(new String(event.json(), java.nio.charset.StandardCharsets.UTF_8));
                }
            });
        }

        @Override
        public void end() {
            ended = true;
            context.runOnContext(v -> {
                if (!ws.isClosed()) {
                    ws.close();
                }
            });
        }

        @Override
        public boolean congested() {
            return ws.writeQueueFull();
        }

        @Override
        public void onClose(Runnable r) {
            onClose.add(r);
            context.runOnContext(v -> {
                if (ws.isClosed()) {
                    r.run();
                }
            });
        }
    }

    private static final class VertxSink implements WatchHandler.Sink {
        private static final int MAX_QUEUED_BYTES = 16 * 1024 * 1024;
        private final HttpServerResponse resp;
        private final Context context;
        private volatile boolean ended;

        VertxSink(HttpServerResponse resp, Context context) {
            this.resp = resp;
            this.context = context;
            resp.setWriteQueueMaxSize(MAX_QUEUED_BYTES);
        }

        /** Vert.x may already be closed (server shutdown while watches end): then the connection is gone too. */
        private void onContext(io.vertx.core.Handler<Void> h) {
            try {
                context.runOnContext(h);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                ended = true;
            }
        }

        @Override
        public void send(WatchEvent event) {
            onContext(v -> {
                if (!ended && !resp.ended() && !resp.closed()) {
                    byte[] bytes = event.json();
                    resp.write(Buffer.buffer(bytes.length + 1).appendBytes(bytes).appendByte((byte) '\n'));
                }
            });
        }

        @Override
        public void end() {
            ended = true;
            onContext(v -> {
                if (!resp.ended() && !resp.closed()) {
                    resp.end();
                }
            });
        }

        @Override
        public boolean congested() {
            return resp.writeQueueFull();
        }

        @Override
        public void onClose(Runnable r) {
            onContext(v -> {
                resp.closeHandler(x -> r.run());
                if (resp.closed()) {
                    r.run();
                }
            });
        }
    }

    @Override
    public void close() {
        crds.close();
        // nothing of ours may write once the caller closes the store (a RocksDB read after close crashes the JVM)
        bootstrap.stop();
        timers.shutdownNow();
        try {
            timers.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        server.close().toCompletionStage().toCompletableFuture().orTimeout(5, TimeUnit.SECONDS).exceptionally(t -> null).join();
        if (loopback != null) {
            loopback.close().toCompletionStage().toCompletableFuture().orTimeout(5, TimeUnit.SECONDS).exceptionally(t -> null).join();
        }
        vertx.close().toCompletionStage().toCompletableFuture().orTimeout(5, TimeUnit.SECONDS).exceptionally(t -> null).join();
    }
}
