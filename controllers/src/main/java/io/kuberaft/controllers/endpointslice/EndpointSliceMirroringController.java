package io.kuberaft.controllers.endpointslice;

import io.fabric8.kubernetes.api.model.EndpointAddress;
import io.fabric8.kubernetes.api.model.EndpointSubset;
import io.fabric8.kubernetes.api.model.Endpoints;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.kuberaft.controllers.runtime.Controller;
import io.kuberaft.controllers.runtime.ControllerContext;
import io.kuberaft.controllers.runtime.Keys;
import io.kuberaft.controllers.runtime.WorkQueue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The EndpointSlice mirroring controller: the Endpoints a user maintains for a Service without a selector
 * are mirrored into EndpointSlices (managed by {@value #CONTROLLER_NAME}, owned by the Endpoints), so
 * slice consumers see them too. Ready addresses are ready endpoints, not-ready ones are not; at most
 * {@value #MAX_MIRRORED} addresses are mirrored. Endpoints labelled {@code endpointslice.kubernetes.io/skip-mirror}
 * and those of selector Services (the EndpointSlice controller's own) are not mirrored.
 */
public final class EndpointSliceMirroringController implements Controller {
    public static final String CONTROLLER_NAME = "endpointslicemirroring-controller.k8s.io";
    static final String SKIP_MIRROR = "endpointslice.kubernetes.io/skip-mirror";
    static final int MAX_MIRRORED = 1000;
    private static final String BY_ENDPOINTS = "byEndpoints";
    private static final List<String> NOT_MIRRORED_ANNOTATIONS = List.of("endpoints.kubernetes.io/last-change-trigger-time",
            "endpoints.kubernetes.io/over-capacity", "kubectl.kubernetes.io/last-applied-configuration");

    private ControllerContext ctx;
    private SharedIndexInformer<Service> services;
    private SharedIndexInformer<Endpoints> endpoints;
    private SharedIndexInformer<EndpointSlice> slices;

    @Override
    public String name() {
        return "endpointslice-mirroring-controller";
    }

    @Override
    public void register(ControllerContext ctx, WorkQueue queue) {
        this.ctx = ctx;
        services = ctx.informers().of(Service.class);
        endpoints = ctx.informers().of(Endpoints.class);
        ctx.informers().index(EndpointSlice.class, BY_ENDPOINTS, s -> {
            Map<String, String> l = s.getMetadata().getLabels();
            if (l == null || !CONTROLLER_NAME.equals(l.get(EndpointSliceController.MANAGED_BY))
                    || l.get(EndpointSliceController.SERVICE_NAME) == null) {
                return List.of();
            }
            return List.of(Keys.of(s.getMetadata().getNamespace(), l.get(EndpointSliceController.SERVICE_NAME)));
        });
        slices = ctx.informers().of(EndpointSlice.class);
        services.addEventHandler(Keys.enqueue(queue));
        endpoints.addEventHandler(Keys.enqueue(queue));
        slices.addEventHandler(Keys.on(s -> {
            Map<String, String> l = s.getMetadata().getLabels();
            if (l != null && CONTROLLER_NAME.equals(l.get(EndpointSliceController.MANAGED_BY))) {
                queue.add(Keys.of(s.getMetadata().getNamespace(), l.get(EndpointSliceController.SERVICE_NAME)));
            }
        }));
    }

    @Override
    public void reconcile(String key) {
        String ns = Keys.namespace(key);
        Service svc = services.getStore().getByKey(key);
        Endpoints ep = endpoints.getStore().getByKey(key);
        List<EndpointSlice> existing = new ArrayList<>(slices.getIndexer().byIndex(BY_ENDPOINTS, key));
        boolean mirror = svc != null && ep != null && (svc.getSpec().getSelector() == null || svc.getSpec().getSelector().isEmpty())
                && (ep.getMetadata().getLabels() == null || !"true".equals(ep.getMetadata().getLabels().get(SKIP_MIRROR)));
        if (!mirror) {
            existing.forEach(this::delete);
            return;
        }
        Map<String, String> labels = new LinkedHashMap<>(ep.getMetadata().getLabels() == null ? Map.of() : ep.getMetadata().getLabels());
        labels.put(EndpointSliceController.SERVICE_NAME, svc.getMetadata().getName());
        labels.put(EndpointSliceController.MANAGED_BY, CONTROLLER_NAME);
        Map<String, String> annotations = new LinkedHashMap<>(ep.getMetadata().getAnnotations() == null ? Map.of() : ep.getMetadata().getAnnotations());
        NOT_MIRRORED_ANNOTATIONS.forEach(annotations::remove);
        // desired slices: per subset, its ports and (chunks of) its addresses, ready first
        List<EndpointSlice> desired = new ArrayList<>();
        int room = MAX_MIRRORED;
        for (EndpointSubset s : ep.getSubsets() == null ? List.<EndpointSubset>of() : ep.getSubsets()) {
            List<EndpointPort> ports = new ArrayList<>();
            for (var p : s.getPorts() == null ? List.<io.fabric8.kubernetes.api.model.EndpointPort>of() : s.getPorts()) {
                ports.add(new EndpointPortBuilder().withName(p.getName() == null ? "" : p.getName()).withPort(p.getPort())
                        .withProtocol(p.getProtocol() == null ? "TCP" : p.getProtocol()).withAppProtocol(p.getAppProtocol()).build());
            }
            List<Endpoint> eps = new ArrayList<>();
            for (EndpointAddress a : s.getAddresses() == null ? List.<EndpointAddress>of() : s.getAddresses()) {
                if (room-- > 0 && a.getIp() != null && a.getIp().indexOf(':') < 0) {
                    eps.add(endpoint(a, true));
                }
            }
            for (EndpointAddress a : s.getNotReadyAddresses() == null ? List.<EndpointAddress>of() : s.getNotReadyAddresses()) {
                if (room-- > 0 && a.getIp() != null && a.getIp().indexOf(':') < 0) {
                    eps.add(endpoint(a, false));
                }
            }
            for (int from = 0; from < eps.size(); from += EndpointSliceController.MAX_ENDPOINTS_PER_SLICE) {
                desired.add(new EndpointSliceBuilder().withNewMetadata().withGenerateName(ep.getMetadata().getName() + "-")
                        .withNamespace(ns).withLabels(labels).withAnnotations(annotations)
                        .addNewOwnerReference().withApiVersion("v1").withKind("Endpoints").withName(ep.getMetadata().getName())
                        .withUid(ep.getMetadata().getUid()).withController(true).withBlockOwnerDeletion(true).endOwnerReference()
                        .endMetadata().withAddressType("IPv4").withPorts(ports)
                        .withEndpoints(new ArrayList<>(eps.subList(from, Math.min(eps.size(), from + EndpointSliceController.MAX_ENDPOINTS_PER_SLICE))))
                        .build());
            }
        }
        // keep the slices whose content is wanted as is, delete the rest, create what is missing
        List<String> wanted = new ArrayList<>(desired.stream().map(EndpointSliceMirroringController::content).toList());
        for (EndpointSlice s : existing) {
            int i = wanted.indexOf(content(s));
            if (i >= 0 && labels.equals(s.getMetadata().getLabels())) {
                wanted.set(i, null);
                desired.set(i, null);
            } else {
                delete(s);
            }
        }
        for (EndpointSlice s : desired) {
            if (s == null) {
                continue;
            }
            try {
                ctx.client().discovery().v1().endpointSlices().inNamespace(ns).resource(s).create();
            } catch (KubernetesClientException e) {
                if (e.getCode() != 403 && e.getCode() != 404) {
                    throw e;
                }
            }
        }
    }

    private static Endpoint endpoint(EndpointAddress a, boolean ready) {
        EndpointBuilder b = new EndpointBuilder().withAddresses(a.getIp()).withNewConditions().withReady(ready).endConditions();
        if (a.getHostname() != null && !a.getHostname().isEmpty()) {
            b.withHostname(a.getHostname());
        }
        if (a.getNodeName() != null && !a.getNodeName().isEmpty()) {
            b.withNodeName(a.getNodeName());
        }
        if (a.getTargetRef() != null) {
            b.withTargetRef(a.getTargetRef());
        }
        return b.build();
    }

    private static String content(EndpointSlice s) {
        return Serialization.asJson(s.getPorts() == null ? List.of() : s.getPorts()) + Serialization.asJson(s.getEndpoints() == null ? List.of() : s.getEndpoints());
    }

    private void delete(EndpointSlice s) {
        try {
            ctx.client().discovery().v1().endpointSlices().inNamespace(s.getMetadata().getNamespace()).withName(s.getMetadata().getName()).delete();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404) {
                throw e;
            }
        }
    }
}
