package io.kuberaft.controllers.runtime;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;

import java.util.function.Consumer;

/** Work-queue keys as client-go's MetaNamespaceKeyFunc makes them: {@code namespace/name} or {@code name}. */
public final class Keys {
    private Keys() {
    }

    public static String of(HasMetadata o) {
        String ns = o.getMetadata().getNamespace();
        return ns == null || ns.isEmpty() ? o.getMetadata().getName() : ns + "/" + o.getMetadata().getName();
    }

    public static String of(String namespace, String name) {
        return namespace == null || namespace.isEmpty() ? name : namespace + "/" + name;
    }

    public static String namespace(String key) {
        int i = key.indexOf('/');
        return i < 0 ? null : key.substring(0, i);
    }

    public static String name(String key) {
        return key.substring(key.indexOf('/') + 1);
    }

    /** A handler that queues the key of every added, changed or deleted object. */
    public static <T extends HasMetadata> ResourceEventHandler<T> enqueue(WorkQueue queue) {
        return on(o -> queue.add(of(o)));
    }

    /** A handler that calls {@code f} with every added, changed (new version) or deleted object. */
    public static <T extends HasMetadata> ResourceEventHandler<T> on(Consumer<T> f) {
        return new ResourceEventHandler<>() {
            @Override
            public void onAdd(T obj) {
                f.accept(obj);
            }

            @Override
            public void onUpdate(T oldObj, T newObj) {
                f.accept(newObj);
            }

            @Override
            public void onDelete(T obj, boolean deletedFinalStateUnknown) {
                if (obj != null) {
                    f.accept(obj);
                }
            }
        };
    }
}
