package io.kuberaft.apiserver.http;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;
import java.util.function.Consumer;

/** A watch sink for tests: hands every event it is sent to a list; never congested, nothing to close. */
final class CollectingSink implements WatchHandler.Sink {
    private final Consumer<WatchEvent> to;

    private CollectingSink(Consumer<WatchEvent> to) {
        this.to = to;
    }

    /** The events as the trees a client decodes. */
    static CollectingSink trees(List<ObjectNode> got) {
        return new CollectingSink(e -> got.add(e.node()));
    }

    static CollectingSink events(List<WatchEvent> got) {
        return new CollectingSink(got::add);
    }

    @Override
    public void send(WatchEvent event) {
        to.accept(event);
    }

    @Override
    public void end() {
    }

    @Override
    public boolean congested() {
        return false;
    }

    @Override
    public void onClose(Runnable r) {
    }
}
