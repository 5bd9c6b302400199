package io.kuberaft.apiserver.admission;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.Objects;
import io.kuberaft.apiserver.strategy.Json;

import java.security.SecureRandom;
import java.util.Set;

/**
 * Upstream's ServiceAccount plugin for pods: the {@code default} service account when none is named, the
 * projected {@code kube-api-access-xxxxx} volume (bound token, kube-root-ca.crt, namespace) mounted read-only at
 * /var/run/secrets/kubernetes.io/serviceaccount in every container, and the account's imagePullSecrets.
 * A named account that does not exist refuses the pod (403). kuberaft difference: a missing {@code default}
 * account does not (the controller that creates it may not have run yet in a new namespace).
 */
public final class ServiceAccountAdmission implements AdmissionPlugin {
    public static final String MOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount";
    static final String VOLUME_PREFIX = "kube-api-access-";
    private static final String NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789";
    private final SecureRandom random = new SecureRandom();
    private final Lookup lookup;

    public ServiceAccountAdmission(Lookup lookup) {
        this.lookup = lookup;
    }

    @Override
    public String name() {
        return "ServiceAccount";
    }

    @Override
    public Set<Operation> operations() {
        return Set.of(Operation.CREATE);
    }

    @Override
    public boolean mutating() {
        return true;
    }

    @Override
    public void admit(Attributes a) {
        if (!a.is("", "Pod")) {
            return;
        }
        ObjectNode pod = a.object();
        if (Objects.meta(pod).path("annotations").has("kubernetes.io/config.mirror")) {
            return;
        }
        ObjectNode spec = Json.obj(pod, "spec");
        if (Json.blank(spec, "serviceAccountName")) {
            spec.put("serviceAccountName", "default");
        }
        String saName = spec.get("serviceAccountName").asText();
        spec.put("serviceAccount", saName);
        ObjectNode sa = lookup.getFresh(lookup.kind("", "ServiceAccount"), a.namespace(), saName, a.reads());
        if (sa == null && !saName.equals("default")) {
            throw Lookup.forbidden(a.def(), a.name(), "error looking up service account " + a.namespace() + "/" + saName
                    + ": serviceaccount \"" + saName + "\" not found");
        }
        boolean automount = spec.has("automountServiceAccountToken")
                ? spec.get("automountServiceAccountToken").asBoolean(true)
                : sa == null || sa.path("automountServiceAccountToken").asBoolean(true);
        if (automount) {
            mountToken(spec);
        }
        if (sa != null && spec.path("imagePullSecrets").size() == 0 && sa.path("imagePullSecrets").size() > 0) {
            ArrayNode secrets = spec.putArray("imagePullSecrets");
            sa.path("imagePullSecrets").forEach(s -> secrets.addObject().put("name", s.path("name").asText()));
        }
    }

    private void mountToken(ObjectNode spec) {
        String volume = null;
        for (JsonNode v : spec.path("volumes")) {
            if (v.path("name").asText("").startsWith(VOLUME_PREFIX)) {
                volume = v.path("name").asText();
                break;
            }
        }
        boolean hasVolume = volume != null;
        if (volume == null) {
            StringBuilder b = new StringBuilder(VOLUME_PREFIX);
            for (int i = 0; i < 5; i++) {
                b.append(NAME_CHARS.charAt(random.nextInt(NAME_CHARS.length())));
            }
            volume = b.toString();
        }
        boolean needed = false;
        for (String kind : new String[] {"initContainers", "containers"}) {
            for (ObjectNode c : Json.objects(spec, kind)) {
                boolean mounted = false;
                for (JsonNode m : c.path("volumeMounts")) {
                    mounted |= MOUNT_PATH.equals(m.path("mountPath").asText());
                }
                if (!mounted) {
                    Json.arr(c, "volumeMounts").addObject().put("mountPath", MOUNT_PATH).put("name", volume).put("readOnly", true);
                    needed = true;
                }
            }
        }
        if (needed && !hasVolume) {
            ObjectNode projected = Json.arr(spec, "volumes").addObject().put("name", volume).putObject("projected");
            projected.put("defaultMode", 420);
            ArrayNode sources = projected.putArray("sources");
            sources.addObject().putObject("serviceAccountToken").put("expirationSeconds", 3607).put("path", "token");
            ObjectNode cm = sources.addObject().putObject("configMap");
            cm.putArray("items").addObject().put("key", "ca.crt").put("path", "ca.crt");
            cm.put("name", "kube-root-ca.crt");
            ObjectNode item = sources.addObject().putObject("downwardAPI").putArray("items").addObject();
            item.putObject("fieldRef").put("apiVersion", "v1").put("fieldPath", "metadata.namespace");
            item.put("path", "namespace");
        }
    }
}
