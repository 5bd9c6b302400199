package io.kuberaft.controllers.runtime;

/**
 * One controller, written as upstream's are: informer handlers turn changes into keys on a work
 * queue, and {@link #reconcile} brings the object of one key to its desired state, idempotently, from
 * the informer caches. A new instance is made for every leadership term, so no state outlives one.
 */
public interface Controller {
    /** The upstream name, e.g. {@code replicaset-controller}: the event source and the log name. */
    String name();

    /**
     * The {@code source.component} of this controller's events, where upstream's recorder is not named after the
     * controller (the node lifecycle controller records as {@code node-controller}).
     */
    default String eventSource() {
        return name();
    }

    /** Registers informer handlers that add keys to {@code queue}; called before the informers start. */
    void register(ControllerContext ctx, WorkQueue queue);

    /**
     * Brings the object named {@code key} (namespace/name or name) to its desired state. Throwing
     * retries the key with backoff; {@link WorkQueue#addAfter} schedules a later look.
     */
    void reconcile(String key) throws Exception;

    /** Workers for this controller (upstream's --concurrent-*-syncs). */
    default int workers() {
        return 2;
    }
}
