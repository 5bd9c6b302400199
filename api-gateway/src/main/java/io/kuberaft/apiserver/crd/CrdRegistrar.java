package io.kuberaft.apiserver.crd;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.Objects;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.apiserver.registry.ResourceRegistry;
import io.kuberaft.apiserver.registry.ResourceStore;
import io.kuberaft.raftstore.ReadConsistency;
import io.kuberaft.raftstore.Watch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keeps this replica's {@link ResourceRegistry} in step with the stored CustomResourceDefinitions: lists them, then
 * watches their prefix in the store and (re)registers or unregisters the custom resources of each change. Every
 * replica runs one, fed by its own apply loop, so a CRD created through any replica is served by all of them. When
 * the watch ends (no quorum at start-up, compaction) it lists and watches again.
 */
public final class CrdRegistrar implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CrdRegistrar.class);
    private final ResourceStore store;
    private final ResourceRegistry registry;
    private final ResourceDefinition crdDef;
    /** CRD name → the storage name it registered, so a delete knows what to unregister. */
    private final Map<String, String> registered = new ConcurrentHashMap<>();
    private volatile boolean closed;
    private volatile Watch watch;
    private final Thread starter;

    private CrdRegistrar(ResourceStore store, ResourceRegistry registry, ResourceDefinition crdDef) {
        this.store = store;
        this.registry = registry;
        this.crdDef = crdDef;
        this.starter = new Thread(this::run, "crd-registrar");
        this.starter.setDaemon(true);
    }

    /** Starts listing and watching in the background (retried until the store answers). */
    public static CrdRegistrar start(ResourceStore store, ResourceRegistry registry) {
        ResourceDefinition crdDef = registry.find(CustomResourceDefinitions.GROUP, "v1", CustomResourceDefinitions.PLURAL)
                .orElseThrow(() -> new IllegalStateException("customresourcedefinitions are not registered"));
        CrdRegistrar r = new CrdRegistrar(store, registry, crdDef);
        r.starter.start();
        return r;
    }

    /** Lists and watches until closed; a watch that ends wakes this thread to start again. */
    private void run() {
        long backoff = 100;
        while (!closed) {
            try {
                ResourceStore.Page page = store.list(crdDef, null, o -> true, 0, null, ReadConsistency.LINEARIZABLE, 0);
                Map<String, ObjectNode> present = new ConcurrentHashMap<>();
                page.items().forEach(o -> present.put(Objects.name(o), o));
                registered.keySet().stream().filter(n -> !present.containsKey(n)).toList().forEach(this::removed);
                present.values().forEach(this::changed);
                java.util.concurrent.CountDownLatch ended = new java.util.concurrent.CountDownLatch(1);
                watch = store.watch(crdDef, null, page.revision(), c -> {
                    switch (c.type()) {
                        case "ADDED", "MODIFIED" -> changed(c.object().deepCopy()); // shared with other watchers
                        case "DELETED" -> removed(Objects.name(c.object()));
                        default -> {
                        }
                    }
                }, e -> ended.countDown());
                ended.await();
                watch.close();
                backoff = 100;
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.debug("CRD list/watch failed, retrying: {}", e.toString());
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException ie) {
                    return;
                }
                backoff = Math.min(backoff * 2, 2000);
            }
        }
    }

    private void changed(ObjectNode crd) {
        String name = Objects.name(crd);
        String storageName = CustomResourceDefinitions.storageName(crd);
        String before = storageName == null ? registered.remove(name) : registered.put(name, storageName);
        if (before != null && !before.equals(storageName)) {
            registry.replaceCustom(before, java.util.List.of());
        }
        if (storageName != null) {
            registry.replaceCustom(storageName, CustomResourceDefinitions.served(crd));
        }
    }

    private void removed(String name) {
        String storageName = registered.remove(name);
        if (storageName != null) {
            registry.replaceCustom(storageName, java.util.List.of());
        }
    }

    @Override
    public void close() {
        closed = true;
        starter.interrupt();
        Watch w = watch;
        if (w != null) {
            w.close();
        }
    }
}
