package io.kuberaft.chaos.workload;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** A workload's reflectors ({@link ObjectWatcher}s), each on its own daemon thread. */
final class Reflectors {
    private final List<ObjectWatcher> watchers = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();

    void start(ObjectWatcher w) {
        Thread t = new Thread(w, "reflector-" + threads.size());
        t.setDaemon(true);
        watchers.add(w);
        threads.add(t);
        t.start();
    }

    /** Lets each reflector run until it has seen revision {@code rv} (at most 30 s), then waits for them to stop. */
    void catchUp(long rv) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        watchers.forEach(w -> w.stopAt(rv, deadline));
        for (Thread t : threads) {
            t.join(Duration.ofSeconds(40).toMillis());
        }
    }
}
