package io.kuberaft.chaos.client;

import java.util.List;

/**
 * What the workloads need from the cluster, through one replica: a register per key (read, write,
 * compare-and-set) and a set of unique elements. Implemented over the Kubernetes API and over the etcd
 * facade. No method retries: a retry of a non-idempotent write is the client bug Jepsen found in jetcd.
 */
public interface StoreClient extends AutoCloseable {
    /** The register's value, null when the key does not exist. */
    Long read(String key) throws OpException;

    void write(String key, long value) throws OpException;

    /** Sets {@code to} if the value is {@code from} (null: the key is absent); false when it was not. */
    boolean cas(String key, Long from, long to) throws OpException;

    void add(long element) throws OpException;

    List<Long> readSet() throws OpException;

    @Override
    void close();
}
