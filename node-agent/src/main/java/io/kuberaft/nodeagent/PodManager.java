package io.kuberaft.nodeagent;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeProjection;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.kuberaft.controllers.runtime.DirectRequests;
import io.kuberaft.controllers.scheduler.NodeAdmission;
import io.kuberaft.nodeagent.runtime.ContainerRuntime;
import io.kuberaft.nodeagent.runtime.PodContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

/**
 * The pods of one node: its pods as the agent's {@link PodSource} has them, one {@link PodWorker} per pod,
 * and the sync step that runs them and writes what changed through {@code pods/status}. A pod marked for
 * deletion is stopped and then deleted for good (grace period 0, the pod's uid as precondition), as the
 * kubelet does.
 */
final class PodManager {
    private static final Logger LOG = LoggerFactory.getLogger(PodManager.class);
    private final KubernetesClient client;
    private final AgentConfig config;
    private final String node;
    private final ContainerRuntime runtime;
    private final Prober prober;
    private final Executor probeExecutor;
    private final EventRecorder events;
    private final Clock clock;
    private final PodIps ips;
    private final Map<String, PodWorker> workers = new ConcurrentHashMap<>();
    /** Pods refused at admission: never run, finally deleted when deleted. Only the sync loop touches it. */
    private final Set<String> rejected = new HashSet<>();
    /**
     * Pods this agent stopped and sent its final delete for. A finalizer can keep the object (a Job's
     * {@code batch.kubernetes.io/job-tracking}, a user's own): as the kubelet, the agent does not run it again. Only
     * the sync loop touches it.
     */
    private final Set<String> finished = new HashSet<>();
    private final Map<String, ObjectNode> posted = new HashMap<>();
    private PodSource source;
    private ServiceSource services;
    private RootCaSource rootCas;
    private StaticPodSource staticSource;
    private java.util.function.Supplier<String> nodeUid = () -> null;
    private volatile Map<String, Pod> staticPods = Map.of();
    private java.time.Instant nextScan;

    PodManager(KubernetesClient client, AgentConfig config, String node, ContainerRuntime runtime, Prober prober, Executor probeExecutor,
               EventRecorder events, Clock clock, PodIps ips) {
        this.client = client;
        this.config = config;
        this.node = node;
        this.runtime = runtime;
        this.prober = prober;
        this.probeExecutor = probeExecutor;
        this.events = events;
        this.clock = clock;
        this.ips = ips;
    }

    /** Runs the static pods of {@code source} too, and keeps their mirror pods (owned by the Node {@code nodeUid}). */
    PodManager withStaticPods(StaticPodSource source, java.util.function.Supplier<String> nodeUid) {
        this.staticSource = source;
        this.nodeUid = nodeUid;
        return this;
    }

    /**
     * Runs the pods {@code source} has for this node, with the Services of {@code services} in their environment and
     * the {@code kube-root-ca.crt} of {@code rootCas} in their ServiceAccount volume (all may be shared with the agent's
     * other nodes).
     */
    void start(PodSource source, ServiceSource services, RootCaSource rootCas) {
        this.source = source;
        this.services = services;
        this.rootCas = rootCas;
    }

    boolean synced() {
        return source != null && source.synced();
    }

    Optional<PodWorker> find(String namespace, String name) {
        return workers.values().stream().filter(w -> w.pod().getMetadata().getNamespace().equals(namespace)
                && w.pod().getMetadata().getName().equals(name)).findFirst();
    }

    List<PodWorker> workers() {
        return List.copyOf(workers.values());
    }

    /** The node's pods as the agent knows them: with the status it computed last (the kubelet's status manager). */
    List<Pod> pods() {
        return workers.values().stream().map(PodWorker::podWithStatus).toList();
    }

    /** One pass over every pod of the node (the node's sync loop calls this; never concurrently). */
    void syncAll() {
        boolean synced = synced();
        if (!synced && staticSource == null) {
            return;
        }
        Set<String> seen = new HashSet<>();
        if (staticSource != null) {
            // Static pods run whatever the API server says, and even without one (standalone).
            java.time.Instant now = clock.instant();
            if (nextScan == null || !now.isBefore(nextScan)) {
                staticPods = staticSource.scan();
                nextScan = now.plusSeconds(1);
            }
            for (Pod pod : staticPods.values()) {
                seen.add(pod.getMetadata().getUid());
                try {
                    syncPod(pod);
                } catch (KubernetesClientException e) {
                    LOG.debug("event=static-pod-status-not-posted node={} pod={} error={}", node, pod.getMetadata().getName(), e.toString());
                } catch (RuntimeException e) {
                    LOG.warn("event=pod-sync-failed node={} pod={}/{} error={}", node, pod.getMetadata().getNamespace(),
                            pod.getMetadata().getName(), e.toString());
                }
            }
        }
        if (synced) {
            Map<String, Pod> mirrors = new HashMap<>();
            for (Pod pod : source.podsOn(node)) {
                if (StaticPodSource.isMirror(pod)) {
                    // A mirror pod only shows a static pod to the API: it is never run itself.
                    mirrors.put(pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName(), pod);
                    continue;
                }
                String uid = pod.getMetadata().getUid();
                seen.add(uid);
                try {
                    syncPod(pod);
                } catch (RuntimeException e) {
                    LOG.warn("event=pod-sync-failed node={} pod={}/{} error={}", node, pod.getMetadata().getNamespace(),
                            pod.getMetadata().getName(), e.toString());
                }
            }
            if (staticSource != null) {
                try {
                    syncMirrors(mirrors);
                } catch (KubernetesClientException e) {
                    LOG.debug("event=mirror-pod-sync-failed node={} error={}", node, e.toString());
                }
            }
        }
        // Pods that are gone from the API (force-deleted, or deleted while this agent was away), or static pods whose
        // file went: stop what is left. Without a synced informer only static pods are known.
        for (PodWorker w : List.copyOf(workers.values())) {
            String uid = w.pod().getMetadata().getUid();
            if (!seen.contains(uid) && (synced || isStatic(w.pod()))) {
                forget(w);
            }
        }
        if (synced) {
            rejected.retainAll(seen);
            finished.retainAll(seen);
        }
    }

    static boolean isStatic(Pod p) {
        return p.getMetadata().getAnnotations() != null && "file".equals(p.getMetadata().getAnnotations().get(StaticPodSource.SOURCE));
    }

    /**
     * Keeps one mirror pod per static pod, as the kubelet's mirror client: creates the missing ones, deletes (for good)
     * those marked for deletion or of an older manifest, so they come back, and those whose static pod is gone.
     */
    private void syncMirrors(Map<String, Pod> mirrors) {
        if (nodeUid.get() == null) {
            return; // not registered yet: a mirror pod is owned by its Node
        }
        for (Pod sp : staticPods.values()) {
            String key = sp.getMetadata().getNamespace() + "/" + sp.getMetadata().getName();
            Pod m = mirrors.remove(key);
            String hash = sp.getMetadata().getAnnotations().get(StaticPodSource.HASH);
            if (m == null) {
                createMirror(sp, hash);
            } else if (m.getMetadata().getDeletionTimestamp() != null || !hash.equals(m.getMetadata().getAnnotations().get(StaticPodSource.MIRROR))) {
                finalDelete(m);
                posted.remove(sp.getMetadata().getUid());
            }
        }
        for (Pod m : mirrors.values()) {
            finalDelete(m);
        }
    }

    private void createMirror(Pod sp, String hash) {
        ObjectNode o = PodWorker.JSON.valueToTree(sp);
        ObjectNode meta = (ObjectNode) o.get("metadata");
        meta.remove("uid");
        meta.remove("resourceVersion");
        meta.remove("creationTimestamp");
        meta.with("annotations").put(StaticPodSource.MIRROR, hash);
        String uid = nodeUid.get();
        if (uid != null) {
            meta.putArray("ownerReferences").addObject().put("apiVersion", "v1").put("kind", "Node").put("name", node)
                    .put("uid", uid).put("controller", true);
        }
        o.remove("status");
        try {
            client.pods().inNamespace(sp.getMetadata().getNamespace()).resource(PodWorker.JSON.convertValue(o, Pod.class)).create();
            posted.remove(sp.getMetadata().getUid());
            LOG.info("event=mirror-pod-created node={} pod={}/{}", node, sp.getMetadata().getNamespace(), sp.getMetadata().getName());
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                LOG.warn("event=mirror-pod-not-created node={} pod={}/{} error={}", node, sp.getMetadata().getNamespace(),
                        sp.getMetadata().getName(), e.getMessage());
            }
        }
    }

    private void syncPod(Pod pod) {
        String uid = pod.getMetadata().getUid();
        PodWorker w = workers.get(uid);
        if (w == null && finished.contains(uid)) {
            return; // stopped, its terminal status posted and its final delete sent: a finalizer holds the object
        }
        if (w == null && rejected.contains(uid)) {
            if (pod.getMetadata().getDeletionTimestamp() != null) {
                finalDelete(pod); // it never ran: nothing to stop
            }
            return;
        }
        if (w == null) {
            var rejection = admit(pod);
            if (rejection.isPresent()) {
                reject(pod, rejection.get());
                return;
            }
            String previous = pod.getStatus() == null ? null : pod.getStatus().getPodIP();
            String ip = pod.getSpec().getHostNetwork() != null && pod.getSpec().getHostNetwork() ? config.nodeIP()
                    : ips.claim(previous) ? previous : ips.allocate();
            w = new PodWorker(pod, runtime, prober, probeExecutor, events, clock, config, node, config.nodeIP(), ip, this::resolve, this::resolveData,
                    this::sandboxFailure);
            workers.put(uid, w);
            LOG.info("event=pod-admitted node={} pod={}/{} ip={}", node, pod.getMetadata().getNamespace(), pod.getMetadata().getName(), ip);
        } else {
            w.update(pod);
        }
        ObjectNode status = w.sync();
        if (client != null && status != null && !status.equals(posted.get(uid))) { // no client: standalone, nothing to post
            ObjectNode patch = PodWorker.JSON.createObjectNode();
            patch.set("status", status);
            try {
                DirectRequests.patch(client,
                        client.pods().inNamespace(pod.getMetadata().getNamespace())
                                .withName(pod.getMetadata().getName()).subresource("status"),
                        PatchType.JSON_MERGE, patch.toString(), null);
                posted.put(uid, status);
            } catch (KubernetesClientException e) {
                if (e.getCode() != 404) {
                    throw e;
                }
            }
        }
        if (w.terminating() && w.stopped()) {
            finalDelete(pod);
            forget(w);
            finished.add(uid);
        }
    }

    /**
     * The kubelet's admission of a pod it has not run yet (a pod given a nodeName directly never met the scheduler):
     * node affinity, host ports and resources against the pods this node runs ({@link NodeAdmission}). Pods that
     * already started (an agent restart), static pods and pods being deleted are not checked.
     */
    private java.util.Optional<NodeAdmission.Rejection> admit(Pod pod) {
        boolean started = pod.getStatus() != null && (pod.getStatus().getStartTime() != null
                || "Succeeded".equals(pod.getStatus().getPhase()) || "Failed".equals(pod.getStatus().getPhase()));
        if (started || pod.getMetadata().getDeletionTimestamp() != null || isStatic(pod)) {
            return java.util.Optional.empty();
        }
        io.fabric8.kubernetes.api.model.Node self;
        try {
            self = client.nodes().withName(node).get();
        } catch (KubernetesClientException e) {
            LOG.debug("event=admission-without-node node={} error={}", node, e.toString());
            return java.util.Optional.empty();
        }
        if (self == null) {
            return java.util.Optional.empty();
        }
        List<Pod> running = workers.values().stream().map(PodWorker::pod).filter(p -> p.getStatus() == null
                || !("Succeeded".equals(p.getStatus().getPhase()) || "Failed".equals(p.getStatus().getPhase()))).toList();
        return NodeAdmission.check(pod, self, running);
    }

    /** As the kubelet's rejectPod: a Warning event with the reason, and the pod Failed with "Pod was rejected: …". */
    private void reject(Pod pod, NodeAdmission.Rejection r) {
        events.event(pod, "Warning", r.reason(), r.message(), null);
        ObjectNode patch = PodWorker.JSON.createObjectNode();
        patch.putObject("status").put("phase", "Failed").put("reason", r.reason()).put("message", "Pod was rejected: " + r.message());
        DirectRequests.patch(client,
                client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName()).subresource("status"),
                PatchType.JSON_MERGE, patch.toString(), null);
        rejected.add(pod.getMetadata().getUid());
        LOG.info("event=pod-rejected node={} pod={}/{} reason={}", node, pod.getMetadata().getNamespace(), pod.getMetadata().getName(), r.reason());
    }

    /** The kubelet's last word on a pod: DELETE with grace period 0 and the uid as precondition. */
    private void finalDelete(Pod pod) {
        String ns = pod.getMetadata().getNamespace();
        String name = pod.getMetadata().getName();
        String url = client.getMasterUrl().toString().replaceFirst("/$", "") + "/api/v1/namespaces/" + enc(ns) + "/pods/" + enc(name);
        Map<String, Object> opts = Map.of("kind", "DeleteOptions", "apiVersion", "v1", "gracePeriodSeconds", 0,
                "preconditions", Map.of("uid", pod.getMetadata().getUid()));
        try {
            client.raw(url, "DELETE", opts);
            LOG.info("event=pod-deleted node={} pod={}/{}", node, ns, name);
        } catch (KubernetesClientException e) {
            // 404: already gone; 409: a newer pod of the same name (the uid precondition protects it).
            if (e.getCode() != 404 && e.getCode() != 409) {
                throw e;
            }
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private void forget(PodWorker w) {
        String uid = w.pod().getMetadata().getUid();
        for (String c : w.containerNames()) {
            w.container(c).ifPresent(rc -> {
                if (rc.exit().isEmpty()) {
                    runtime.stop(rc, java.time.Duration.ZERO);
                }
            });
        }
        runtime.removePod(uid);
        ips.release(w.podIP());
        workers.remove(uid);
        posted.remove(uid);
    }

    /**
     * A token per projected serviceAccountToken source, as the kubelet requests them: a TokenRequest for the pod's
     * ServiceAccount bound to the pod, so it dies with the pod. A server that issues none leaves the file empty.
     */
    private Map<String, String> serviceAccountTokens(Pod pod) {
        Map<String, String> out = new HashMap<>();
        if (pod.getSpec().getVolumes() == null) {
            return out;
        }
        String sa = pod.getSpec().getServiceAccountName() == null ? "default" : pod.getSpec().getServiceAccountName();
        for (Volume v : pod.getSpec().getVolumes()) {
            if (v.getProjected() == null || v.getProjected().getSources() == null) {
                continue;
            }
            for (VolumeProjection p : v.getProjected().getSources()) {
                if (p.getServiceAccountToken() == null || out.containsKey(PodContext.tokenKey(p.getServiceAccountToken()))) {
                    continue;
                }
                var spec = new io.fabric8.kubernetes.api.model.authentication.TokenRequestSpecBuilder()
                        .withAudiences(p.getServiceAccountToken().getAudience() == null ? List.of() : List.of(p.getServiceAccountToken().getAudience()))
                        .withExpirationSeconds(p.getServiceAccountToken().getExpirationSeconds() == null ? 3600L : p.getServiceAccountToken().getExpirationSeconds())
                        .withNewBoundObjectRef().withApiVersion("v1").withKind("Pod").withName(pod.getMetadata().getName())
                        .withUid(pod.getMetadata().getUid()).endBoundObjectRef().build();
                try {
                    var issued = client.serviceAccounts().inNamespace(pod.getMetadata().getNamespace()).withName(sa)
                            .tokenRequest(new io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder().withSpec(spec).build());
                    out.put(PodContext.tokenKey(p.getServiceAccountToken()), issued.getStatus().getToken());
                } catch (RuntimeException e) {
                    LOG.warn("event=token-request-failed pod={}/{} serviceaccount={} error={}", pod.getMetadata().getNamespace(),
                            pod.getMetadata().getName(), sa, e.toString());
                }
            }
        }
        return out;
    }

    /**
     * ConfigMaps and Secrets the pod references, its Service env vars (from the agent's Service watch), its
     * ServiceAccount tokens and, for the process runtime, its claims (the simulated one mounts no host directory). The
     * {@code kube-root-ca.crt} every pod's ServiceAccount volume projects comes from the agent's watch of it, so a pod
     * that references nothing else costs one TokenRequest, as with the kubelet.
     */
    PodContext.Resolved resolve(Pod pod) {
        // Static pods may not reference API objects (as upstream), so they run without an API server.
        if (isStatic(pod)) {
            return PodContext.Resolved.NONE;
        }
        boolean process = "process".equals(config.runtime());
        PodContext.Resolved data = resolveData(pod);
        return new PodContext.Resolved(data.configMaps(), data.secrets(), serviceEnv(pod), serviceAccountTokens(pod), process ? claims(pod) : Map.of());
    }

    /**
     * Why the pod's sandbox cannot be created, or null: its RuntimeClass is gone (admission checked it existed) or names
     * a handler this node's runtime does not have (containerd's message).
     */
    String sandboxFailure(Pod pod) {
        String name = pod.getSpec().getRuntimeClassName();
        if (name == null || name.isEmpty() || isStatic(pod)) {
            return null;
        }
        io.fabric8.kubernetes.api.model.node.v1.RuntimeClass rc;
        try {
            rc = client.resources(io.fabric8.kubernetes.api.model.node.v1.RuntimeClass.class).withName(name).get();
        } catch (KubernetesClientException e) {
            return "failed to lookup RuntimeClass " + name + ": " + e.getMessage();
        }
        if (rc == null) {
            return "runtimeclass.node.k8s.io \"" + name + "\" not found";
        }
        if (!runtime.handlers().contains(rc.getHandler())) {
            return "rpc error: code = Unknown desc = failed to get sandbox runtime: no runtime for \"" + rc.getHandler() + "\" is configured";
        }
        return null;
    }

    /** The ConfigMaps and Secrets alone (no token requests): what a running pod's volumes are refreshed from. */
    PodContext.Resolved resolveData(Pod pod) {
        if (isStatic(pod)) {
            return PodContext.Resolved.NONE;
        }
        Set<String> cms = new HashSet<>();
        Set<String> secrets = new HashSet<>();
        List<Container> all = new ArrayList<>(pod.getSpec().getContainers());
        if (pod.getSpec().getInitContainers() != null) {
            all.addAll(pod.getSpec().getInitContainers());
        }
        for (Container c : all) {
            if (c.getEnv() != null) {
                for (EnvVar e : c.getEnv()) {
                    if (e.getValueFrom() != null && e.getValueFrom().getConfigMapKeyRef() != null) {
                        cms.add(e.getValueFrom().getConfigMapKeyRef().getName());
                    }
                    if (e.getValueFrom() != null && e.getValueFrom().getSecretKeyRef() != null) {
                        secrets.add(e.getValueFrom().getSecretKeyRef().getName());
                    }
                }
            }
            if (c.getEnvFrom() != null) {
                for (EnvFromSource e : c.getEnvFrom()) {
                    if (e.getConfigMapRef() != null) {
                        cms.add(e.getConfigMapRef().getName());
                    }
                    if (e.getSecretRef() != null) {
                        secrets.add(e.getSecretRef().getName());
                    }
                }
            }
        }
        if (pod.getSpec().getVolumes() != null) {
            for (Volume v : pod.getSpec().getVolumes()) {
                if (v.getConfigMap() != null) {
                    cms.add(v.getConfigMap().getName());
                }
                if (v.getSecret() != null) {
                    secrets.add(v.getSecret().getSecretName());
                }
                if (v.getProjected() != null && v.getProjected().getSources() != null) {
                    for (VolumeProjection p : v.getProjected().getSources()) {
                        if (p.getConfigMap() != null) {
                            cms.add(p.getConfigMap().getName());
                        }
                        if (p.getSecret() != null) {
                            secrets.add(p.getSecret().getName());
                        }
                    }
                }
            }
        }
        String ns = pod.getMetadata().getNamespace();
        Map<String, Map<String, String>> cmData = new HashMap<>();
        Map<String, String> rootCa = cms.contains(RootCaSource.NAME) && rootCas != null ? rootCas.data(ns) : null;
        if (rootCa != null) {
            cms.remove(RootCaSource.NAME); // else read below: the watch may not have seen a new namespace's yet
            cmData.put(RootCaSource.NAME, rootCa);
        }
        for (String n : cms) {
            ConfigMap cm = n == null ? null : client.configMaps().inNamespace(ns).withName(n).get();
            if (cm != null) {
                cmData.put(n, cm.getData() == null ? Map.of() : cm.getData());
            }
        }
        Map<String, Map<String, byte[]>> secretData = new HashMap<>();
        for (String n : secrets) {
            Secret s = n == null ? null : client.secrets().inNamespace(ns).withName(n).get();
            if (s != null) {
                Map<String, byte[]> d = new HashMap<>();
                if (s.getData() != null) {
                    s.getData().forEach((k, v) -> d.put(k, Base64.getDecoder().decode(v)));
                }
                if (s.getStringData() != null) {
                    s.getStringData().forEach((k, v) -> d.put(k, v.getBytes(StandardCharsets.UTF_8)));
                }
                secretData.put(n, d);
            }
        }
        return new PodContext.Resolved(cmData, secretData, Map.of(), Map.of(), Map.of());
    }

    /**
     * The pod's PersistentVolumeClaims as the kubelet's volume manager resolves them (getPVCExtractPV, getPVSpec): the
     * claim must exist, not be deleted, be Bound to a PersistentVolume whose claimRef is this claim; the volume's
     * directory is its hostPath or local path.
     */
    private Map<String, PodContext.Claim> claims(Pod pod) {
        Map<String, PodContext.Claim> out = new HashMap<>();
        if (pod.getSpec().getVolumes() == null) {
            return out;
        }
        String ns = pod.getMetadata().getNamespace();
        for (Volume v : pod.getSpec().getVolumes()) {
            if (v.getPersistentVolumeClaim() == null || out.containsKey(v.getPersistentVolumeClaim().getClaimName())) {
                continue;
            }
            String name = v.getPersistentVolumeClaim().getClaimName();
            out.put(name, claim(ns, name));
        }
        return out;
    }

    private PodContext.Claim claim(String ns, String name) {
        var pvc = client.persistentVolumeClaims().inNamespace(ns).withName(name).get();
        if (pvc == null) {
            return PodContext.Claim.failed("failed to fetch PVC from API server: persistentvolumeclaims \"" + name + "\" not found");
        }
        if (pvc.getMetadata().getDeletionTimestamp() != null) {
            return PodContext.Claim.failed("PVC is being deleted");
        }
        if (pvc.getStatus() == null || !"Bound".equals(pvc.getStatus().getPhase())) {
            return PodContext.Claim.failed("PVC is not bound");
        }
        String pvName = pvc.getSpec().getVolumeName();
        if (pvName == null || pvName.isEmpty()) {
            return PodContext.Claim.failed("PVC has empty pvc.Spec.VolumeName");
        }
        var pv = client.persistentVolumes().withName(pvName).get();
        if (pv == null) {
            return PodContext.Claim.failed("failed to fetch PV " + pvName + " from API server: persistentvolumes \"" + pvName + "\" not found");
        }
        var ref = pv.getSpec().getClaimRef();
        if (ref == null) {
            return PodContext.Claim.failed("found PV object " + pvName + " but it has a nil pv.Spec.ClaimRef indicating it is not yet bound to the claim");
        }
        if (!java.util.Objects.equals(ref.getUid(), pvc.getMetadata().getUid())) {
            return PodContext.Claim.failed("found PV object " + pvName + " but its pv.Spec.ClaimRef.UID " + ref.getUid()
                    + " does not point to claim.UID " + pvc.getMetadata().getUid());
        }
        if (pv.getSpec().getHostPath() != null) {
            return PodContext.Claim.bound(pv.getSpec().getHostPath().getPath());
        }
        if (pv.getSpec().getLocal() != null) {
            return PodContext.Claim.bound(pv.getSpec().getLocal().getPath());
        }
        return PodContext.Claim.failed("PV " + pvName + " is neither hostPath nor local: the " + config.runtime()
                + " runtime cannot mount it on this node");
    }

    /**
     * The Services whose env vars the pod gets, as upstream's kubelet: those of its namespace unless
     * {@code enableServiceLinks: false}, and always the {@code kubernetes} service of {@code default}. From the agent's
     * Service watch; read from the API only until its first list is in.
     */
    private Map<String, String> serviceEnv(Pod pod) {
        String ns = pod.getMetadata().getNamespace();
        boolean cached = services != null && services.synced();
        Map<String, io.fabric8.kubernetes.api.model.Service> byName = new java.util.TreeMap<>();
        if (!Boolean.FALSE.equals(pod.getSpec().getEnableServiceLinks())) {
            (cached ? services.inNamespace(ns) : client.services().inNamespace(ns).list().getItems())
                    .forEach(s -> byName.put(s.getMetadata().getName(), s));
        }
        if (!byName.containsKey("kubernetes") || !"default".equals(ns)) {
            var master = cached ? services.get("default", "kubernetes") : client.services().inNamespace("default").withName("kubernetes").get();
            if (master != null) {
                byName.putIfAbsent("kubernetes", master);
            }
        }
        return io.kuberaft.nodeagent.runtime.ServiceEnv.of(new ArrayList<>(byName.values()));
    }
}
