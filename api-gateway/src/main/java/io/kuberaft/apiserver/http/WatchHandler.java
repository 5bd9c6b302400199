package io.kuberaft.apiserver.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.Objects;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.apiserver.registry.ResourceStore;
import io.kuberaft.apiserver.registry.WatchObject;
import io.kuberaft.apiserver.table.Tables;
import io.kuberaft.kubeapi.StatusException;
import io.kuberaft.raftstore.ReadConsistency;
import io.kuberaft.raftstore.Watch;

import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;

/**
 * A Kubernetes watch over this replica's watch hub (ARCHITECTURE.md decision 4): newline-delimited
 * {@code {"type":…,"object":…}} events in revision order, resumable from any resourceVersion still in
 * the store's history, 410 Expired before it, selector transitions as ADDED/DELETED, bookmarks and
 * Table rows when asked.
 */
public final class WatchHandler {
    /** Where events go; must not block (called on the apply thread): encoding the event is the sink's business. */
    public interface Sink {
        void send(WatchEvent event);

        /** Ends the response; idempotent. */
        void end();

        /** True when the client reads too slowly and the watch should end. */
        boolean congested();

        void onClose(Runnable r);
    }

    private final ResourceStore store;
    private final ScheduledExecutorService timers;
    private final long bookmarkIntervalMs;

    public WatchHandler(ResourceStore store, ScheduledExecutorService timers, long bookmarkIntervalMs) {
        this.store = store;
        this.timers = timers;
        this.bookmarkIntervalMs = bookmarkIntervalMs;
    }

    public void start(ResourceDefinition def, String ns, ResourceHandler.Query q, String accept, Sink sink) {
        Predicate<ObjectNode> filter = ResourceHandler.filter(def, q);
        boolean table = MediaTypes.wantsTable(accept);
        boolean bookmarks = q.flag("allowWatchBookmarks");
        String rvParam = q.get("resourceVersion");
        boolean initial = rvParam == null || rvParam.isEmpty() || rvParam.equals("0") || q.flag("sendInitialEvents");
        AtomicBoolean first = new AtomicBoolean(true);
        AtomicBoolean done = new AtomicBoolean();
        Emitter emit = (type, obj, shared) -> {
            if (table && obj != null && !type.equals("BOOKMARK")) {
                sink.send(WatchEvent.of(type, Tables.table(def, List.of(obj), Objects.meta(obj).path("resourceVersion").asText(), null,
                        first.getAndSet(false), false)));
            } else {
                sink.send(shared != null ? WatchEvent.of(type, shared) : WatchEvent.of(type, obj));
            }
        };
        long from;
        if (initial) {
            ReadConsistency c = "0".equals(rvParam) ? ReadConsistency.SERIALIZABLE : ReadConsistency.LINEARIZABLE;
            long atRv = 0;
            if (rvParam != null && !rvParam.isEmpty() && !rvParam.equals("0")) {
                atRv = q.longValue("resourceVersion", 0);
            }
            ResourceStore.Page page = store.list(def, ns, filter, 0, null, c, 0);
            for (ObjectNode o : page.items()) {
                if (atRv == 0 || Objects.resourceVersion(o) > 0) {
                    emit.emit("ADDED", o, null);
                }
            }
            from = page.revision();
            if (q.flag("sendInitialEvents") && bookmarks) {
                emit.emit("BOOKMARK", bookmark(def, from, true), null);
            }
        } else {
            from = q.longValue("resourceVersion", 0);
        }
        long startedAt = from;
        Watch[] watch = new Watch[1];
        ScheduledFuture<?>[] timers2 = new ScheduledFuture<?>[2];
        Runnable stop = () -> {
            if (done.compareAndSet(false, true)) {
                if (watch[0] != null) {
                    watch[0].cancel();
                }
                for (ScheduledFuture<?> f : timers2) {
                    if (f != null) {
                        f.cancel(false);
                    }
                }
                sink.end();
            }
        };
        sink.onClose(stop);
        watch[0] = store.watch(def, ns, from, change -> {
            if (done.get()) {
                return;
            }
            if (sink.congested()) {
                // A client this slow resumes from its last resourceVersion on a new watch.
                stop.run();
                return;
            }
            switch (change.type()) {
                case "BOOKMARK" -> {
                    if (bookmarks) {
                        // Never behind where the watch started: a replica that has not applied `from` yet
                        // reports its own lower revision, and a client resuming from that would get the
                        // events in between twice (client-go's reflector does). Events up to `from` are
                        // never sent on this watch, so `from` is a true bookmark.
                        emit.emit("BOOKMARK", bookmark(def, Math.max(change.revision(), startedAt), false), null);
                    }
                }
                case "DELETED" -> {
                    if (filter.test(change.previous())) {
                        emit.emit("DELETED", change.object(), change.current());
                    }
                }
                default -> {
                    boolean now = filter.test(change.object());
                    boolean before = change.previous() != null && filter.test(change.previous());
                    if (now && (before || change.type().equals("ADDED"))) {
                        emit.emit(change.type(), change.object(), change.current());
                    } else if (now) {
                        emit.emit("ADDED", change.object(), change.current());
                    } else if (before) {
                        emit.emit("DELETED", change.object(), change.current());
                    }
                }
            }
        }, error -> {
            if (!done.get()) {
                sink.send(WatchEvent.of("ERROR", error.toStatus()));
                stop.run();
            }
        });
        long timeout = q.longValue("timeoutSeconds", 1800);
        timers2[0] = timers.schedule(stop, Math.max(1, Math.min(timeout, 3600)), TimeUnit.SECONDS);
        if (bookmarks) {
            // The first bookmark goes at once (after any replayed events): it tells the client where the watch
            // stands, and clients that wait for the first bytes of the stream (fabric8 on the JDK HTTP client)
            // count the watch as established only then.
            timers2[1] = timers.scheduleAtFixedRate(() -> watch[0].requestProgress(), 0, bookmarkIntervalMs,
                    TimeUnit.MILLISECONDS);
        }
    }

    private interface Emitter {
        /** {@code shared}: {@code obj} as every watcher of the event has it, or null for an object of this watch's own. */
        void emit(String type, ObjectNode obj, WatchObject shared);
    }

    private static ObjectNode bookmark(ResourceDefinition def, long rev, boolean initialEventsEnd) {
        ObjectNode o = Objects.JSON.createObjectNode();
        o.put("kind", def.kind()).put("apiVersion", def.apiVersion());
        ObjectNode meta = o.putObject("metadata");
        meta.put("resourceVersion", String.valueOf(rev));
        if (initialEventsEnd) {
            meta.putObject("annotations").put("k8s.io/initial-events-end", "true");
        }
        return o;
    }

    static StatusException notAllowed() {
        return StatusException.methodNotAllowed("the server does not allow this method on the requested resource");
    }
}
