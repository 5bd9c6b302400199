package io.kuberaft.apiserver.registry;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/** Every served resource, looked up by group/version/plural or by apiVersion/kind. */
public final class ResourceRegistry {
    private final List<ResourceDefinition> all = new CopyOnWriteArrayList<>();
    private final AtomicLong version = new AtomicLong();

    public ResourceRegistry register(ResourceDefinition def) {
        all.removeIf(d -> d.group().equals(def.group()) && d.version().equals(def.version()) && d.plural().equals(def.plural()));
        all.add(def);
        version.incrementAndGet();
        return this;
    }

    /** Bumped by every register/unregister: caches derived from the registry (OpenAPI) compare it. */
    public long version() {
        return version.get();
    }

    public void unregister(String group, String version, String plural) {
        if (all.removeIf(d -> d.group().equals(group) && d.version().equals(version) && d.plural().equals(plural))) {
            this.version.incrementAndGet();
        }
    }

    /**
     * Replaces every custom definition stored under {@code storageName} (all versions of one CRD's resource) with
     * {@code defs}, which may be empty (the CRD is gone). A custom definition never shadows a built-in one.
     */
    public synchronized void replaceCustom(String storageName, List<ResourceDefinition> defs) {
        all.removeIf(d -> d.isCustom() && d.storageName().equals(storageName));
        for (ResourceDefinition d : defs) {
            if (find(d.group(), d.version(), d.plural()).isEmpty()) {
                all.add(d);
            }
        }
        version.incrementAndGet();
    }

    public Collection<ResourceDefinition> all() {
        return all;
    }

    public Optional<ResourceDefinition> find(String group, String version, String plural) {
        return all.stream().filter(d -> d.group().equals(group) && d.version().equals(version) && d.plural().equals(plural)).findFirst();
    }

    public Optional<ResourceDefinition> findKind(String apiVersion, String kind) {
        return all.stream().filter(d -> d.apiVersion().equals(apiVersion) && d.kind().equals(kind)).findFirst();
    }

    /** group → versions in preference order (as registered). */
    public Map<String, List<String>> groupVersions() {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (ResourceDefinition d : all) {
            List<String> vs = out.computeIfAbsent(d.group(), g -> new ArrayList<>());
            if (!vs.contains(d.version())) {
                vs.add(d.version());
            }
        }
        return out;
    }

    public List<ResourceDefinition> inGroupVersion(String group, String version) {
        return all.stream().filter(d -> d.group().equals(group) && d.version().equals(version)).toList();
    }
}
