package io.kuberaft.controllers.endpoints;

import io.fabric8.kubernetes.api.model.EndpointAddress;
import io.fabric8.kubernetes.api.model.EndpointAddressBuilder;
import io.fabric8.kubernetes.api.model.EndpointPort;
import io.fabric8.kubernetes.api.model.EndpointPortBuilder;
import io.fabric8.kubernetes.api.model.EndpointSubset;
import io.fabric8.kubernetes.api.model.Endpoints;
import io.fabric8.kubernetes.api.model.EndpointsBuilder;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.kuberaft.controllers.runtime.Controller;
import io.kuberaft.controllers.runtime.ControllerContext;
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
import java.util.OptionalInt;
import java.util.TreeMap;

/**
 * The endpoints controller: for every Service with a selector, an Endpoints object of the same name whose
 * subsets group the selected pods' addresses by the ports they serve ({@code addresses} for ready pods,
 * {@code notReadyAddresses} for the others, all ready with {@code publishNotReadyAddresses}); named target
 * ports are resolved per pod, and a pod without the named port is left out of that port's subset.
 * Selectorless Services are left to their users; the Endpoints go when the Service goes.
 */
public final class EndpointsController implements Controller {
    static final String OVER_CAPACITY = "endpoints.kubernetes.io/over-capacity";
    static final int MAX_CAPACITY = 1000;
    private ControllerContext ctx;
    private SharedIndexInformer<Service> services;
    private SharedIndexInformer<Pod> pods;
    private SharedIndexInformer<Endpoints> endpoints;

    @Override
    public String name() {
        return "endpoint-controller";
    }

    @Override
    public void register(ControllerContext ctx, WorkQueue queue) {
        this.ctx = ctx;
        services = ctx.informers().of(Service.class);
        pods = ctx.informers().of(Pod.class);
        endpoints = ctx.informers().of(Endpoints.class);
        services.addEventHandler(Keys.enqueue(queue));
        pods.addEventHandler(podHandler(services, queue));
        endpoints.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Endpoints obj) {
            }

            @Override
            public void onUpdate(Endpoints oldObj, Endpoints newObj) {
            }

            @Override
            public void onDelete(Endpoints obj, boolean unknown) {
                if (obj != null) {
                    queue.add(Keys.of(obj));
                }
            }
        });
    }

    /** Queues the services selecting a pod, before and after its change (labels may have moved it). */
    public static ResourceEventHandler<Pod> podHandler(SharedIndexInformer<Service> services, WorkQueue queue) {
        return new ResourceEventHandler<>() {
            @Override
            public void onAdd(Pod pod) {
                enqueueFor(pod);
            }

            @Override
            public void onUpdate(Pod oldPod, Pod newPod) {
                enqueueFor(newPod);
                if (!Objects.equals(oldPod.getMetadata().getLabels(), newPod.getMetadata().getLabels())) {
                    enqueueFor(oldPod);
                }
            }

            @Override
            public void onDelete(Pod pod, boolean unknown) {
                if (pod != null) {
                    enqueueFor(pod);
                }
            }

            private void enqueueFor(Pod pod) {
                for (Service svc : services.getIndexer().byIndex(Informers.namespaceIndex(), pod.getMetadata().getNamespace())) {
                    if (PodEndpoints.selects(svc, pod)) {
                        queue.add(Keys.of(svc));
                    }
                }
            }
        };
    }

    @Override
    public void reconcile(String key) {
        String ns = Keys.namespace(key);
        String name = Keys.name(key);
        Service svc = services.getStore().getByKey(key);
        if (svc == null) {
            try {
                ctx.client().endpoints().inNamespace(ns).withName(name).delete();
            } catch (KubernetesClientException e) {
                if (e.getCode() != 404) {
                    throw e;
                }
            }
            return;
        }
        if (!PodEndpoints.managed(svc) || svc.getMetadata().getDeletionTimestamp() != null) {
            return;
        }
        boolean publishNotReady = Boolean.TRUE.equals(svc.getSpec().getPublishNotReadyAddresses());
        Instant trigger = PodEndpoints.parse(svc.getMetadata().getCreationTimestamp());
        // address (ip) -> ready?, ports served
        Map<String, Entry> byIp = new TreeMap<>();
        List<ServicePort> ports = svc.getSpec().getPorts() == null ? List.of() : svc.getSpec().getPorts();
        for (Pod pod : pods.getIndexer().byIndex(Informers.namespaceIndex(), ns)) {
            if (!PodEndpoints.selects(svc, pod) || !PodEndpoints.shouldBeInEndpoints(pod, publishNotReady)) {
                continue;
            }
            Instant t = PodEndpoints.triggerTime(pod);
            if (t != null && (trigger == null || t.isAfter(trigger))) {
                trigger = t;
            }
            String ip = PodEndpoints.ip(pod);
            EndpointAddressBuilder ab = new EndpointAddressBuilder().withIp(ip)
                    .withTargetRef(new ObjectReferenceBuilder().withKind("Pod").withNamespace(ns)
                            .withName(pod.getMetadata().getName()).withUid(pod.getMetadata().getUid()).build());
            if (pod.getSpec().getNodeName() != null && !pod.getSpec().getNodeName().isEmpty()) {
                ab.withNodeName(pod.getSpec().getNodeName());
            }
            String hostname = PodEndpoints.hostname(pod, svc);
            if (hostname != null) {
                ab.withHostname(hostname);
            }
            boolean ready = publishNotReady || (PodEndpoints.isReady(pod) && pod.getMetadata().getDeletionTimestamp() == null);
            List<EndpointPort> served = new ArrayList<>();
            boolean headlessNoPorts = ports.isEmpty() && PodEndpoints.headless(svc);
            for (ServicePort sp : ports) {
                OptionalInt port = PodEndpoints.findPort(pod, sp);
                if (port.isEmpty()) {
                    continue;
                }
                served.add(new EndpointPortBuilder().withName(sp.getName()).withPort(port.getAsInt())
                        .withProtocol(sp.getProtocol() == null ? "TCP" : sp.getProtocol()).withAppProtocol(sp.getAppProtocol()).build());
            }
            if (served.isEmpty() && !headlessNoPorts) {
                continue;
            }
            Entry prior = byIp.get(ip);
            if (prior == null || (ready && !prior.ready)) {
                byIp.put(ip, new Entry(ab.build(), ready, served));
            }
        }
        List<EndpointSubset> subsets = repack(byIp.values());
        boolean overCapacity = false;
        int total = subsets.stream().mapToInt(s -> size(s.getAddresses()) + size(s.getNotReadyAddresses())).sum();
        if (total > MAX_CAPACITY) {
            overCapacity = true;
            subsets = truncate(subsets);
        }
        Map<String, String> labels = new LinkedHashMap<>(svc.getMetadata().getLabels() == null ? Map.of() : svc.getMetadata().getLabels());
        if (PodEndpoints.headless(svc)) {
            labels.put(PodEndpoints.HEADLESS_LABEL, "");
        } else {
            labels.remove(PodEndpoints.HEADLESS_LABEL);
        }
        Endpoints current = endpoints.getStore().getByKey(key);
        if (current != null) {
            Map<String, String> ann = current.getMetadata().getAnnotations() == null ? Map.of() : current.getMetadata().getAnnotations();
            Map<String, String> curLabels = current.getMetadata().getLabels() == null ? Map.of() : current.getMetadata().getLabels();
            if (json(normalize(current.getSubsets())).equals(json(subsets)) && curLabels.equals(labels)
                    && ann.containsKey(OVER_CAPACITY) == overCapacity) {
                return;
            }
        }
        Map<String, String> annotations = new HashMap<>();
        if (current != null && current.getMetadata().getAnnotations() != null) {
            annotations.putAll(current.getMetadata().getAnnotations());
        }
        if (trigger != null) {
            annotations.put(PodEndpoints.LAST_CHANGE_TRIGGER_TIME, trigger.toString());
        } else {
            annotations.remove(PodEndpoints.LAST_CHANGE_TRIGGER_TIME);
        }
        if (overCapacity) {
            annotations.put(OVER_CAPACITY, "truncated");
        } else {
            annotations.remove(OVER_CAPACITY);
        }
        if (current == null) {
            Endpoints ep = new EndpointsBuilder().withNewMetadata().withName(name).withNamespace(ns).withLabels(labels)
                    .withAnnotations(annotations).endMetadata().withSubsets(subsets).build();
            try {
                ctx.client().endpoints().inNamespace(ns).resource(ep).create();
            } catch (KubernetesClientException e) {
                // 409: it exists and our cache is behind (retried); 403/404: the namespace is terminating
                if (e.getCode() == 403 || e.getCode() == 404) {
                    return;
                }
                throw e;
            }
            return;
        }
        Endpoints next = new EndpointsBuilder(current).editMetadata().withLabels(labels).withAnnotations(annotations).endMetadata()
                .withSubsets(subsets).build();
        ctx.client().endpoints().inNamespace(ns).resource(next).update();
    }

    private record Entry(EndpointAddress address, boolean ready, List<EndpointPort> ports) {
    }

    private static int size(List<?> l) {
        return l == null ? 0 : l.size();
    }

    /** Upstream's RepackSubsets: addresses that serve the same ports share a subset; everything sorted. */
    private static List<EndpointSubset> repack(Iterable<Entry> entries) {
        Map<String, EndpointSubset> byPorts = new TreeMap<>();
        for (Entry e : entries) {
            List<EndpointPort> ports = new ArrayList<>(e.ports());
            ports.sort(PORT_ORDER);
            String k = json(ports);
            EndpointSubset s = byPorts.computeIfAbsent(k, x -> new EndpointSubset(new ArrayList<>(), new ArrayList<>(),
                    ports.isEmpty() ? null : ports));
            (e.ready() ? s.getAddresses() : s.getNotReadyAddresses()).add(e.address());
        }
        List<EndpointSubset> out = new ArrayList<>();
        for (EndpointSubset s : byPorts.values()) {
            out.add(normalizeSubset(s));
        }
        out.sort(Comparator.comparing(s -> json(s.getPorts())));
        return out;
    }

    private static final Comparator<EndpointPort> PORT_ORDER = Comparator
            .comparing((EndpointPort p) -> p.getName() == null ? "" : p.getName())
            .thenComparing(EndpointPort::getPort).thenComparing(p -> p.getProtocol() == null ? "TCP" : p.getProtocol());

    private static EndpointSubset normalizeSubset(EndpointSubset s) {
        List<EndpointAddress> ready = new ArrayList<>(s.getAddresses() == null ? List.of() : s.getAddresses());
        List<EndpointAddress> notReady = new ArrayList<>(s.getNotReadyAddresses() == null ? List.of() : s.getNotReadyAddresses());
        List<EndpointPort> ports = new ArrayList<>(s.getPorts() == null ? List.of() : s.getPorts());
        Comparator<EndpointAddress> byIp = Comparator.comparing(EndpointAddress::getIp);
        ready.sort(byIp);
        notReady.sort(byIp);
        ports.sort(PORT_ORDER);
        return new EndpointSubset(ready.isEmpty() ? null : ready, notReady.isEmpty() ? null : notReady, ports.isEmpty() ? null : ports);
    }

    private static List<EndpointSubset> normalize(List<EndpointSubset> subsets) {
        if (subsets == null) {
            return List.of();
        }
        List<EndpointSubset> out = new ArrayList<>();
        for (EndpointSubset s : subsets) {
            out.add(normalizeSubset(s));
        }
        out.sort(Comparator.comparing(s -> json(s.getPorts())));
        return out;
    }

    /** Keeps the first 1000 addresses, ready ones first (upstream truncates over-capacity Endpoints). */
    private static List<EndpointSubset> truncate(List<EndpointSubset> subsets) {
        int room = MAX_CAPACITY;
        List<EndpointSubset> out = new ArrayList<>();
        for (EndpointSubset s : subsets) {
            List<EndpointAddress> ready = s.getAddresses() == null ? List.of() : s.getAddresses();
            List<EndpointAddress> keep = new ArrayList<>(ready.subList(0, Math.min(room, ready.size())));
            room -= keep.size();
            out.add(new EndpointSubset(keep, null, s.getPorts()));
        }
        for (int i = 0; i < subsets.size(); i++) {
            List<EndpointAddress> nr = subsets.get(i).getNotReadyAddresses() == null ? List.of() : subsets.get(i).getNotReadyAddresses();
            List<EndpointAddress> keep = new ArrayList<>(nr.subList(0, Math.min(room, nr.size())));
            room -= keep.size();
            out.get(i).setNotReadyAddresses(keep);
        }
        List<EndpointSubset> nonEmpty = new ArrayList<>();
        for (EndpointSubset s : out) {
            EndpointSubset n = normalizeSubset(s);
            if (n.getAddresses() != null || n.getNotReadyAddresses() != null) {
                nonEmpty.add(n);
            }
        }
        return nonEmpty;
    }

    private static String json(Object o) {
        return Serialization.asJson(o);
    }
}
