package io.kuberaft.controllers.runtime;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The shared informers of one leadership term: one list+watch per kind however many controllers
 * read it (fabric8 resumes watches and relists on 410 Gone). Every informer has the namespace index.
 */
public final class Informers implements AutoCloseable {
    private final KubernetesClient client;
    private final Map<Class<?>, SharedIndexInformer<?>> informers = new LinkedHashMap<>();
    private final long resyncMs;
    private final List<SharedIndexInformer<?>> tracked = new ArrayList<>();

    public Informers(KubernetesClient client, Duration resync) {
        this.client = client;
        this.resyncMs = resync.toMillis();
    }

    /** The informer of {@code type}, made on first use; it runs once {@link #start} is called. */
    @SuppressWarnings("unchecked")
    public synchronized <T extends HasMetadata> SharedIndexInformer<T> of(Class<T> type) {
        return (SharedIndexInformer<T>) informers.computeIfAbsent(type,
                t -> client.resources(type).inAnyNamespace().runnableInformer(resyncMs));
    }

    /** Adds an index (e.g. pods by node name) to {@code type}'s informer; before {@link #start}. */
    public <T extends HasMetadata> void index(Class<T> type, String name, Function<T, List<String>> f) {
        SharedIndexInformer<T> informer = of(type);
        if (!informer.getIndexer().getIndexers().containsKey(name)) {
            informer.addIndexers(Map.of(name, f));
        }
    }

    /** Starts every informer and waits until all have listed (synced), or the timeout. */
    public void start(Duration timeout) throws Exception {
        List<CompletableFuture<Void>> started = new ArrayList<>();
        synchronized (this) {
            for (SharedIndexInformer<?> i : informers.values()) {
                started.add(i.start().toCompletableFuture());
            }
        }
        CompletableFuture.allOf(started.toArray(CompletableFuture[]::new)).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * The informer already made for {@code apiVersion}/{@code kind} by some controller, if any: a reader of every kind
     * (the garbage collector) shares it instead of watching the same objects a second time.
     */
    public synchronized Optional<SharedIndexInformer<? extends HasMetadata>> existing(String apiVersion, String kind) {
        for (var e : informers.entrySet()) {
            @SuppressWarnings("unchecked")
            Class<? extends HasMetadata> type = (Class<? extends HasMetadata>) e.getKey();
            if (HasMetadata.getKind(type).equals(kind) && HasMetadata.getApiVersion(type).equals(apiVersion)) {
                return Optional.of((SharedIndexInformer<? extends HasMetadata>) e.getValue());
            }
        }
        return Optional.empty();
    }

    /** An informer a controller made and started itself (over discovered resources): stopped with the term's. */
    public synchronized void track(SharedIndexInformer<?> informer) {
        tracked.add(informer);
    }

    public static String namespaceIndex() {
        return Cache.NAMESPACE_INDEX;
    }

    @Override
    public synchronized void close() {
        informers.values().forEach(SharedIndexInformer::stop);
        tracked.forEach(SharedIndexInformer::stop);
        tracked.clear();
        informers.clear();
    }
}
