package io.kuberaft.raftstore;

/** A registered watch; cancel it to stop the events. */
public interface Watch extends AutoCloseable {
    long id();

    void cancel();

    /** Asks for an immediate progress notification with the replica's current revision. */
    void requestProgress();

    @Override
    default void close() {
        cancel();
    }
}
