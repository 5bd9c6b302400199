package io.kuberaft.apiserver.admission;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.BuiltinResources;
import io.kuberaft.apiserver.registry.GenericRegistry;
import io.kuberaft.apiserver.registry.Objects;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.apiserver.registry.ResourceRegistry;
import io.kuberaft.apiserver.registry.ResourceStore;
import io.kuberaft.kubeapi.StatusException;
import io.kuberaft.raftstore.LocalKvStore;
import io.kuberaft.raftstore.ReadConsistency;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A real store (LocalKvStore on disk) with the built-in resources and the standard admission chain; {@link #replica()}
 * gives another registry over the same store, as a second API replica would be.
 */
public final class Cluster implements AutoCloseable {
    public final LocalKvStore kv;
    public final ResourceRegistry resources = new ResourceRegistry();
    public final ResourceStore store;
    public final GenericRegistry api;

    public Cluster(Path dir) {
        this.kv = new LocalKvStore(dir);
        BuiltinResources.registerAll(resources);
        this.store = new ResourceStore(kv);
        this.api = replica();
        new SystemBootstrap(new Lookup(resources, store)).ensureAll(api);
    }

    /** Another API replica: its own admission chain and registry over the same store. */
    public GenericRegistry replica() {
        return new GenericRegistry(store, StandardAdmission.chain(resources, store));
    }

    public ResourceDefinition def(String group, String plural) {
        return resources.all().stream().filter(d -> d.group().equals(group) && d.plural().equals(plural)).findFirst().orElseThrow();
    }

    public static ObjectNode yaml(String yaml) {
        try {
            return (ObjectNode) new com.fasterxml.jackson.databind.ObjectMapper(new com.fasterxml.jackson.dataformat.yaml.YAMLFactory()).readTree(yaml);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public ObjectNode create(String group, String plural, String ns, String yaml) {
        return api.create(def(group, plural), ns, yaml(yaml), GenericRegistry.WriteOptions.DEFAULT);
    }

    public ObjectNode get(String group, String plural, String ns, String name) {
        return store.getOrNull(def(group, plural), ns, name, ReadConsistency.LINEARIZABLE);
    }

    public ObjectNode update(String group, String plural, String ns, ObjectNode obj) {
        return api.update(def(group, plural), ns, Objects.name(obj), obj, GenericRegistry.WriteOptions.DEFAULT);
    }

    public ObjectNode delete(String group, String plural, String ns, String name) {
        return api.delete(def(group, plural), ns, name, 0, null, null, null, GenericRegistry.WriteOptions.DEFAULT);
    }

    public List<ObjectNode> list(String group, String plural, String ns) {
        return store.list(def(group, plural), ns, o -> true, 0, null, ReadConsistency.LINEARIZABLE, 0).items();
    }

    public ObjectNode namespace(String name) {
        return create("", "namespaces", null, "metadata: {name: " + name + "}");
    }

    /** Asserts that the call fails with this code and exactly this message. */
    public static void fails(Runnable r, int code, String message) {
        assertThatThrownBy(r::run).isInstanceOfSatisfying(StatusException.class, e -> {
            org.assertj.core.api.Assertions.assertThat(e.getMessage()).isEqualTo(message);
            org.assertj.core.api.Assertions.assertThat(e.code()).isEqualTo(code);
        });
    }

    public static StatusException error(Runnable r) {
        try {
            r.run();
        } catch (StatusException e) {
            return e;
        }
        throw new AssertionError("expected a StatusException");
    }

    @Override
    public void close() {
        kv.close();
    }
}
