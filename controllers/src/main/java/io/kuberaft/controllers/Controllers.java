package io.kuberaft.controllers;

import io.kuberaft.controllers.namespace.NamespaceController;
import io.kuberaft.controllers.nodelifecycle.NodeLifecycleController;
import io.kuberaft.controllers.nodelifecycle.TaintEvictionController;
import io.kuberaft.controllers.podgc.PodGCController;
import io.kuberaft.controllers.runtime.Controller;
import io.kuberaft.controllers.scheduler.Scheduler;
import io.kuberaft.controllers.serviceaccount.ServiceAccountController;

import java.util.List;
import java.util.function.Supplier;

/** Every built-in controller, as kube-controller-manager's default set (plus the scheduler). */
public final class Controllers {
    private Controllers() {
    }

    public static List<Supplier<Controller>> all() {
        return List.of(
                NamespaceController::new,
                ServiceAccountController::new,
                // node lifecycle, taint eviction and the scheduler (issue 4 sections 3-4)
                NodeLifecycleController::new,
                TaintEvictionController::new,
                PodGCController::new,
                Scheduler::new);
    }
}
