package io.kuberaft.controllers.runtime;

import io.fabric8.kubernetes.client.KubernetesClientException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;

/** The workers of one controller: take a key, reconcile it, retry failures with the queue's backoff. */
final class ControllerLoop {
    private static final Logger LOG = LoggerFactory.getLogger(ControllerLoop.class);
    private final Controller controller;
    private final WorkQueue queue;
    private final List<Thread> workers = new ArrayList<>();

    ControllerLoop(Controller controller, WorkQueue queue) {
        this.controller = controller;
        this.queue = queue;
    }

    void start(long term) {
        for (int i = 0; i < Math.max(1, controller.workers()); i++) {
            Thread t = new Thread(this::run, controller.name() + "-" + i + "-term" + term);
            t.setDaemon(true);
            workers.add(t);
            t.start();
        }
    }

    private void run() {
        while (true) {
            String key;
            try {
                key = queue.take();
            } catch (InterruptedException e) {
                return;
            }
            if (key == null) {
                return;
            }
            try {
                controller.reconcile(key);
                queue.forget(key);
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                if (Thread.currentThread().isInterrupted()) {
                    return;
                }
                int n = queue.failures(key);
                // Conflicts are routine (a stale cache); the rest deserve a line, repeated failures a warning.
                if (e instanceof KubernetesClientException k && k.getCode() == 409) {
                    LOG.debug("{} {}: {}", controller.name(), key, e.getMessage());
                } else if (n >= 5) {
                    LOG.warn("{} {} failed {} times: {}", controller.name(), key, n + 1, e.toString());
                } else {
                    LOG.info("{} {} failed, retrying: {}", controller.name(), key, e.toString());
                }
                queue.addRateLimited(key);
            } finally {
                queue.done(key);
            }
        }
    }

    void stop() {
        queue.shutDown();
        workers.forEach(Thread::interrupt);
    }
}
