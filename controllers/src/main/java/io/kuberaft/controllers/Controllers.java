package io.kuberaft.controllers;

import io.kuberaft.controllers.cronjob.CronJobController;
import io.kuberaft.controllers.daemonset.DaemonSetController;
import io.kuberaft.controllers.deployment.DeploymentController;
import io.kuberaft.controllers.disruption.DisruptionController;
import io.kuberaft.controllers.endpoints.EndpointsController;
import io.kuberaft.controllers.endpointslice.EndpointSliceController;
import io.kuberaft.controllers.endpointslice.EndpointSliceMirroringController;
import io.kuberaft.controllers.gc.GarbageCollector;
import io.kuberaft.controllers.job.JobController;
import io.kuberaft.controllers.job.TtlAfterFinishedController;
import io.kuberaft.controllers.namespace.NamespaceController;
import io.kuberaft.controllers.nodelifecycle.NodeLifecycleController;
import io.kuberaft.controllers.nodelifecycle.TaintEvictionController;
import io.kuberaft.controllers.podautoscaler.HorizontalPodAutoscalerController;
import io.kuberaft.controllers.podgc.PodGCController;
import io.kuberaft.controllers.rbac.ClusterRoleAggregationController;
import io.kuberaft.controllers.replicaset.ReplicaSetController;
import io.kuberaft.controllers.resourcequota.ResourceQuotaController;
import io.kuberaft.controllers.rootcacert.RootCaCertPublisher;
import io.kuberaft.controllers.runtime.Controller;
import io.kuberaft.controllers.scheduler.Scheduler;
import io.kuberaft.controllers.serviceaccount.ServiceAccountController;
import io.kuberaft.controllers.statefulset.StatefulSetController;
import io.kuberaft.controllers.volume.PersistentVolumeController;

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
                // workloads: replica sets, replication controllers, deployments, garbage collector
                ReplicaSetController::replicaSets,
                ReplicaSetController::replicationControllers,
                DeploymentController::new,
                GarbageCollector::new,
                // batch and per-node/stateful workloads
                JobController::new,
                TtlAfterFinishedController::new,
                CronJobController::new,
                DaemonSetController::new,
                StatefulSetController::new,
                // service, storage, policy and autoscaling controllers
                EndpointsController::new,
                EndpointSliceController::new,
                EndpointSliceMirroringController::new,
                PersistentVolumeController::new,
                io.kuberaft.controllers.volume.PvcProtectionController::new,
                io.kuberaft.controllers.volume.PvProtectionController::new,
                DisruptionController::new,
                HorizontalPodAutoscalerController::new,
                ResourceQuotaController::new,
                RootCaCertPublisher::new,
                io.kuberaft.controllers.certificates.CertificateSigningController::new,
                // RBAC: the aggregated ClusterRoles (admin, edit, view and users' own)
                ClusterRoleAggregationController::new,
                // node lifecycle, taint eviction and the scheduler (issue 4 sections 3-4)
                NodeLifecycleController::new,
                TaintEvictionController::new,
                PodGCController::new,
                Scheduler::new);
    }
}
