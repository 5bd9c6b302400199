package io.kuberaft.controllers.endpointslice;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.kuberaft.controllers.endpoints.EndpointsController;
import io.kuberaft.controllers.endpoints.PodEndpoints;
import io.kuberaft.controllers.runtime.Controller;
import io.kuberaft.controllers.runtime.ControllerContext;
import io.kuberaft.controllers.runtime.ControllerRefs;
import io.kuberaft.controllers.runtime.Informers;
import io.kuberaft.controllers.runtime.Keys;
import io.kuberaft.controllers.runtime.WorkQueue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;

/**
 * The EndpointSlice controller (discovery.k8s.io/v1): the pods a Service selects, as IPv4 slices of at most
 * {@value #MAX_ENDPOINTS_PER_SLICE} endpoints, one set of slices per distinct port mapping (named target ports
 * can resolve differently per pod). Endpoints carry the ready / serving / terminating conditions, node name,
 * zone and a reference to their pod; slices are owned by the Service and labelled with its name and this
 * controller. Changes keep endpoints in the slice they are in and fill slices before making new ones, as
 * upstream's reconciler does to limit churn; a Service without endpoints has one empty placeholder slice.
 */
public final class EndpointSliceController implements Controller {
    public static final String SERVICE_NAME = "kubernetes.io/service-name";
    public static final String MANAGED_BY = "endpointslice.kubernetes.io/managed-by";
    public static final String CONTROLLER_NAME = "endpointslice-controller.k8s.io";
    public static final int MAX_ENDPOINTS_PER_SLICE = 100;
    private static final String ZONE = "topology.kubernetes.io/zone";
    private static final String BY_SERVICE = "byService";

    private ControllerContext ctx;
    private SharedIndexInformer<Service> services;
    private SharedIndexInformer<Pod> pods;
    private SharedIndexInformer<Node> nodes;
    private SharedIndexInformer<EndpointSlice> slices;
    private WorkQueue queue;
    private final EndpointSliceTracker tracker = new EndpointSliceTracker();

    @Override
    public String name() {
        return "endpointslice-controller";
    }

    @Override
    public void register(ControllerContext ctx, WorkQueue queue) {
        this.ctx = ctx;
        this.queue = queue;
        services = ctx.informers().of(Service.class);
        pods = ctx.informers().of(Pod.class);
        nodes = ctx.informers().of(Node.class);
        ctx.informers().index(EndpointSlice.class, BY_SERVICE, s -> {
            Map<String, String> l = s.getMetadata().getLabels();
            if (l == null || !CONTROLLER_NAME.equals(l.get(MANAGED_BY)) || l.get(SERVICE_NAME) == null) {
                return List.of();
            }
            return List.of(Keys.of(s.getMetadata().getNamespace(), l.get(SERVICE_NAME)));
        });
        slices = ctx.informers().of(EndpointSlice.class);
        services.addEventHandler(Keys.enqueue(queue));
        pods.addEventHandler(EndpointsController.podHandler(services, queue));
        slices.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(EndpointSlice s) {
                serviceOf(s).ifPresent(queue::add);
            }

            @Override
            public void onUpdate(EndpointSlice old, EndpointSlice s) {
                serviceOf(s).ifPresent(queue::add);
            }

            @Override
            public void onDelete(EndpointSlice s, boolean finalStateUnknown) {
                serviceOf(s).ifPresent(key -> {
                    tracker.deletionObserved(key, s);
                    queue.add(key);
                });
            }
        });
    }

    /** The Service key of a slice this controller manages. */
    private static Optional<String> serviceOf(EndpointSlice s) {
        Map<String, String> l = s == null ? null : s.getMetadata().getLabels();
        if (l != null && CONTROLLER_NAME.equals(l.get(MANAGED_BY)) && l.get(SERVICE_NAME) != null) {
            return Optional.of(Keys.of(s.getMetadata().getNamespace(), l.get(SERVICE_NAME)));
        }
        return Optional.empty();
    }

    @Override
    public void reconcile(String key) {
        String ns = Keys.namespace(key);
        Service svc = services.getStore().getByKey(key);
        List<EndpointSlice> existing = new ArrayList<>(slices.getIndexer().byIndex(BY_SERVICE, key));
        existing.sort(Comparator.comparing(s -> s.getMetadata().getName()));
        if (svc == null || !PodEndpoints.managed(svc)) {
            // The garbage collector would remove them through the owner reference; a selector that went away
            // leaves slices nobody maintains: both go now.
            existing.forEach(s -> delete(key, s));
            tracker.forget(key);
            return;
        }
        if (tracker.stale(key, existing)) {
            // the event of our own write queues the Service again; the delay is a backstop
            queue.addAfter(key, 1000);
            return;
        }
        if (svc.getMetadata().getDeletionTimestamp() != null) {
            return;
        }
        Desired desired = desired(svc);
        Map<String, String> labels = new LinkedHashMap<>(svc.getMetadata().getLabels() == null ? Map.of() : svc.getMetadata().getLabels());
        labels.put(SERVICE_NAME, svc.getMetadata().getName());
        labels.put(MANAGED_BY, CONTROLLER_NAME);
        if (PodEndpoints.headless(svc)) {
            labels.put(PodEndpoints.HEADLESS_LABEL, "");
        } else {
            labels.remove(PodEndpoints.HEADLESS_LABEL);
        }
        if (desired.byPorts.isEmpty()) {
            placeholder(key, svc, ns, existing, labels, desired.trigger);
            return;
        }
        Map<String, List<EndpointSlice>> slicesByPorts = new HashMap<>();
        for (EndpointSlice s : existing) {
            String pk = portsKey(s.getPorts());
            if (!"IPv4".equals(s.getAddressType()) || !desired.byPorts.containsKey(pk)) {
                delete(key, s);
            } else {
                slicesByPorts.computeIfAbsent(pk, x -> new ArrayList<>()).add(s);
            }
        }
        for (Map.Entry<String, Group> e : desired.byPorts.entrySet()) {
            Map<String, Endpoint> wanted = new LinkedHashMap<>(e.getValue().endpoints);
            List<EndpointSlice> mine = slicesByPorts.getOrDefault(e.getKey(), List.of());
            List<List<Endpoint>> contents = new ArrayList<>();
            // Endpoints stay in the slice they are in (with their current state).
            for (EndpointSlice s : mine) {
                List<Endpoint> kept = new ArrayList<>();
                for (Endpoint ep : s.getEndpoints() == null ? List.<Endpoint>of() : s.getEndpoints()) {
                    Endpoint w = wanted.remove(endpointKey(ep));
                    if (w != null && kept.size() < MAX_ENDPOINTS_PER_SLICE) {
                        kept.add(w);
                    }
                }
                contents.add(kept);
            }
            // New endpoints fill the slices with room, then new slices.
            List<Endpoint> rest = new ArrayList<>(wanted.values());
            for (List<Endpoint> c : contents) {
                while (c.size() < MAX_ENDPOINTS_PER_SLICE && !rest.isEmpty()) {
                    c.add(rest.remove(0));
                }
            }
            for (int i = 0; i < mine.size(); i++) {
                EndpointSlice s = mine.get(i);
                List<Endpoint> c = contents.get(i);
                if (c.isEmpty()) {
                    delete(key, s);
                } else if (!same(s.getEndpoints(), c) || !labels.equals(s.getMetadata().getLabels())) {
                    EndpointSlice next = new EndpointSliceBuilder(s).editMetadata().withLabels(labels)
                            .addToAnnotations(annotations(desired.trigger)).endMetadata().withEndpoints(c).build();
                    tracker.written(key, ctx.client().discovery().v1().endpointSlices().inNamespace(ns).resource(next).update());
                }
            }
            for (int from = 0; from < rest.size(); from += MAX_ENDPOINTS_PER_SLICE) {
                create(key, svc, labels, desired.trigger, e.getValue().ports, rest.subList(from, Math.min(rest.size(), from + MAX_ENDPOINTS_PER_SLICE)));
            }
        }
    }

    private void placeholder(String key, Service svc, String ns, List<EndpointSlice> existing, Map<String, String> labels, Instant trigger) {
        EndpointSlice keep = null;
        for (EndpointSlice s : existing) {
            boolean empty = (s.getEndpoints() == null || s.getEndpoints().isEmpty()) && (s.getPorts() == null || s.getPorts().isEmpty());
            if (keep == null && empty && "IPv4".equals(s.getAddressType())) {
                keep = s;
            } else {
                delete(key, s);
            }
        }
        if (keep == null) {
            create(key, svc, labels, trigger, List.of(), List.of());
        } else if (!labels.equals(keep.getMetadata().getLabels())) {
            tracker.written(key, ctx.client().discovery().v1().endpointSlices().inNamespace(ns)
                    .resource(new EndpointSliceBuilder(keep).editMetadata().withLabels(labels).endMetadata().build()).update());
        }
    }

    private record Group(List<EndpointPort> ports, Map<String, Endpoint> endpoints) {
    }

    private record Desired(Map<String, Group> byPorts, Instant trigger) {
    }

    private Desired desired(Service svc) {
        String ns = svc.getMetadata().getNamespace();
        boolean publishNotReady = Boolean.TRUE.equals(svc.getSpec().getPublishNotReadyAddresses());
        Instant trigger = PodEndpoints.parse(svc.getMetadata().getCreationTimestamp());
        List<ServicePort> ports = svc.getSpec().getPorts() == null ? List.of() : svc.getSpec().getPorts();
        Map<String, Group> byPorts = new TreeMap<>();
        List<Pod> selected = new ArrayList<>();
        for (Pod pod : pods.getIndexer().byIndex(Informers.namespaceIndex(), ns)) {
            if (PodEndpoints.selects(svc, pod) && PodEndpoints.shouldBeInEndpoints(pod, true)) {
                selected.add(pod);
            }
        }
        selected.sort(Comparator.comparing(p -> p.getMetadata().getName()));
        for (Pod pod : selected) {
            Instant t = PodEndpoints.triggerTime(pod);
            if (t != null && (trigger == null || t.isAfter(trigger))) {
                trigger = t;
            }
            List<EndpointPort> served = new ArrayList<>();
            for (ServicePort sp : ports) {
                OptionalInt port = PodEndpoints.findPort(pod, sp);
                if (port.isPresent()) {
                    served.add(new EndpointPortBuilder().withName(sp.getName() == null ? "" : sp.getName()).withPort(port.getAsInt())
                            .withProtocol(sp.getProtocol() == null ? "TCP" : sp.getProtocol()).withAppProtocol(sp.getAppProtocol()).build());
                }
            }
            if (served.isEmpty() && !ports.isEmpty()) {
                continue;
            }
            served.sort(PORT_ORDER);
            Endpoint ep = endpoint(svc, pod, publishNotReady);
            byPorts.computeIfAbsent(portsKey(served), x -> new Group(served, new LinkedHashMap<>())).endpoints.putIfAbsent(endpointKey(ep), ep);
        }
        return new Desired(byPorts, trigger);
    }

    private Endpoint endpoint(Service svc, Pod pod, boolean publishNotReady) {
        boolean terminating = pod.getMetadata().getDeletionTimestamp() != null;
        boolean serving = PodEndpoints.isReady(pod);
        boolean ready = publishNotReady || (serving && !terminating);
        EndpointBuilder b = new EndpointBuilder().withAddresses(PodEndpoints.ip(pod))
                .withNewConditions().withReady(ready).withServing(publishNotReady || serving).withTerminating(terminating).endConditions()
                .withTargetRef(new ObjectReferenceBuilder().withKind("Pod").withNamespace(pod.getMetadata().getNamespace())
                        .withName(pod.getMetadata().getName()).withUid(pod.getMetadata().getUid()).build());
        String nodeName = pod.getSpec() == null ? null : pod.getSpec().getNodeName();
        if (nodeName != null && !nodeName.isEmpty()) {
            b.withNodeName(nodeName);
            Node node = nodes.getStore().getByKey(nodeName);
            if (node != null && node.getMetadata().getLabels() != null && node.getMetadata().getLabels().get(ZONE) != null) {
                b.withZone(node.getMetadata().getLabels().get(ZONE));
            }
        }
        String hostname = PodEndpoints.hostname(pod, svc);
        if (hostname != null) {
            b.withHostname(hostname);
        }
        return b.build();
    }

    private void create(String key, Service svc, Map<String, String> labels, Instant trigger, List<EndpointPort> ports, List<Endpoint> endpoints) {
        EndpointSlice slice = new EndpointSliceBuilder().withNewMetadata().withGenerateName(svc.getMetadata().getName() + "-")
                .withNamespace(svc.getMetadata().getNamespace()).withLabels(labels).withAnnotations(annotations(trigger))
                .withOwnerReferences(ControllerRefs.controllerRef(svc)).endMetadata()
                .withAddressType("IPv4").withPorts(new ArrayList<>(ports)).withEndpoints(new ArrayList<>(endpoints)).build();
        try {
            tracker.written(key, ctx.client().discovery().v1().endpointSlices().inNamespace(svc.getMetadata().getNamespace()).resource(slice).create());
        } catch (KubernetesClientException e) {
            if (e.getCode() != 403 && e.getCode() != 404) {
                throw e;
            }
        }
    }

    private static Map<String, String> annotations(Instant trigger) {
        return trigger == null ? Map.of() : Map.of(PodEndpoints.LAST_CHANGE_TRIGGER_TIME, trigger.toString());
    }

    private void delete(String key, EndpointSlice s) {
        try {
            ctx.client().discovery().v1().endpointSlices().inNamespace(s.getMetadata().getNamespace()).withName(s.getMetadata().getName()).delete();
            tracker.deleted(key, s);
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404) {
                throw e;
            }
        }
    }

    private static final Comparator<EndpointPort> PORT_ORDER = Comparator
            .comparing((EndpointPort p) -> p.getName() == null ? "" : p.getName())
            .thenComparing(p -> p.getPort() == null ? 0 : p.getPort()).thenComparing(p -> p.getProtocol() == null ? "TCP" : p.getProtocol());

    private static String portsKey(List<EndpointPort> ports) {
        List<String> parts = new ArrayList<>();
        for (EndpointPort p : ports == null ? List.<EndpointPort>of() : ports) {
            parts.add((p.getName() == null ? "" : p.getName()) + "/" + p.getPort() + "/" + (p.getProtocol() == null ? "TCP" : p.getProtocol())
                    + "/" + Objects.toString(p.getAppProtocol(), ""));
        }
        parts.sort(null);
        return String.join(",", parts);
    }

    private static String endpointKey(Endpoint ep) {
        if (ep.getTargetRef() != null && ep.getTargetRef().getUid() != null) {
            return ep.getTargetRef().getUid();
        }
        return ep.getAddresses() == null ? "" : String.join(",", ep.getAddresses());
    }

    private static boolean same(List<Endpoint> a, List<Endpoint> b) {
        return Serialization.asJson(a == null ? List.of() : a).equals(Serialization.asJson(b));
    }
}
