package io.kuberaft.nodeagent.runtime;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarSource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceFieldSelector;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A container's environment as the kubelet builds it: envFrom (ConfigMaps and Secrets, with prefix) first,
 * then env in order (value with {@code $(VAR)} references, fieldRef, resourceFieldRef, configMapKeyRef,
 * secretKeyRef), then the Service env vars the container does not set itself. A missing non-optional source
 * is a {@code CreateContainerConfigError}.
 */
public final class PodEnvironment {
    private static final Pattern REF = Pattern.compile("\\$\\$|\\$\\(([-._a-zA-Z0-9]+)\\)");
    private static final Pattern INDEXED = Pattern.compile("metadata\\.(labels|annotations)\\['(.*)'\\]");

    private PodEnvironment() {
    }

    public static Map<String, String> of(PodContext ctx, Container c) throws CannotStartException {
        Map<String, String> env = new LinkedHashMap<>();
        if (c.getEnvFrom() != null) {
            for (EnvFromSource from : c.getEnvFrom()) {
                String prefix = from.getPrefix() == null ? "" : from.getPrefix();
                if (from.getConfigMapRef() != null) {
                    String name = from.getConfigMapRef().getName();
                    Map<String, String> data = ctx.configMaps().get(name);
                    if (data == null) {
                        if (Boolean.TRUE.equals(from.getConfigMapRef().getOptional())) {
                            continue;
                        }
                        throw new CannotStartException("CreateContainerConfigError", "configmap \"" + name + "\" not found");
                    }
                    data.forEach((k, v) -> env.put(prefix + k, v));
                }
                if (from.getSecretRef() != null) {
                    String name = from.getSecretRef().getName();
                    Map<String, byte[]> data = ctx.secrets().get(name);
                    if (data == null) {
                        if (Boolean.TRUE.equals(from.getSecretRef().getOptional())) {
                            continue;
                        }
                        throw new CannotStartException("CreateContainerConfigError", "secret \"" + name + "\" not found");
                    }
                    data.forEach((k, v) -> env.put(prefix + k, new String(v, StandardCharsets.UTF_8)));
                }
            }
        }
        if (c.getEnv() != null) {
            for (EnvVar e : c.getEnv()) {
                String v;
                if (e.getValueFrom() == null) {
                    // references may name a Service env var too (upstream's mapping function looks there second)
                    Map<String, String> known = new LinkedHashMap<>(ctx.serviceEnv());
                    known.putAll(env);
                    v = expand(e.getValue() == null ? "" : e.getValue(), known);
                } else {
                    v = from(ctx, c, e.getValueFrom());
                }
                if (v != null) {
                    env.put(e.getName(), v);
                }
            }
        }
        // Service env vars last, never over the container's own
        ctx.serviceEnv().forEach(env::putIfAbsent);
        return env;
    }

    /** {@code $(VAR)} replaced by an earlier variable (left as is when unknown), {@code $$} by {@code $}. */
    public static String expand(String s, Map<String, String> env) {
        Matcher m = REF.matcher(s);
        StringBuilder b = new StringBuilder();
        while (m.find()) {
            String rep = m.group(1) == null ? "$" : env.getOrDefault(m.group(1), m.group());
            m.appendReplacement(b, Matcher.quoteReplacement(rep));
        }
        m.appendTail(b);
        return b.toString();
    }

    public static List<String> expand(List<String> args, Map<String, String> env) {
        List<String> out = new ArrayList<>();
        args.forEach(a -> out.add(expand(a, env)));
        return out;
    }

    private static String from(PodContext ctx, Container c, EnvVarSource src) throws CannotStartException {
        if (src.getFieldRef() != null) {
            return field(ctx, src.getFieldRef().getFieldPath());
        }
        if (src.getResourceFieldRef() != null) {
            return resource(c, src.getResourceFieldRef(), ctx.nodeAllocatable());
        }
        if (src.getConfigMapKeyRef() != null) {
            var ref = src.getConfigMapKeyRef();
            Map<String, String> data = ctx.configMaps().get(ref.getName());
            boolean optional = Boolean.TRUE.equals(ref.getOptional());
            if (data == null) {
                if (optional) {
                    return null;
                }
                throw new CannotStartException("CreateContainerConfigError", "configmap \"" + ref.getName() + "\" not found");
            }
            if (!data.containsKey(ref.getKey())) {
                if (optional) {
                    return null;
                }
                throw new CannotStartException("CreateContainerConfigError", "couldn't find key " + ref.getKey() + " in ConfigMap "
                        + ctx.namespace() + "/" + ref.getName());
            }
            return data.get(ref.getKey());
        }
        if (src.getSecretKeyRef() != null) {
            var ref = src.getSecretKeyRef();
            Map<String, byte[]> data = ctx.secrets().get(ref.getName());
            boolean optional = Boolean.TRUE.equals(ref.getOptional());
            if (data == null) {
                if (optional) {
                    return null;
                }
                throw new CannotStartException("CreateContainerConfigError", "secret \"" + ref.getName() + "\" not found");
            }
            if (!data.containsKey(ref.getKey())) {
                if (optional) {
                    return null;
                }
                throw new CannotStartException("CreateContainerConfigError", "couldn't find key " + ref.getKey() + " in Secret "
                        + ctx.namespace() + "/" + ref.getName());
            }
            return new String(data.get(ref.getKey()), StandardCharsets.UTF_8);
        }
        return "";
    }

    /** The downward API's pod fields (env and downwardAPI volumes). */
    public static String field(PodContext ctx, String path) throws CannotStartException {
        Pod pod = ctx.pod();
        Matcher m = INDEXED.matcher(path);
        if (m.matches()) {
            Map<String, String> map = m.group(1).equals("labels") ? pod.getMetadata().getLabels() : pod.getMetadata().getAnnotations();
            return map == null ? "" : map.getOrDefault(m.group(2), "");
        }
        return switch (path) {
            case "metadata.name" -> pod.getMetadata().getName();
            case "metadata.namespace" -> pod.getMetadata().getNamespace();
            case "metadata.uid" -> pod.getMetadata().getUid();
            case "metadata.labels" -> formatMap(pod.getMetadata().getLabels());
            case "metadata.annotations" -> formatMap(pod.getMetadata().getAnnotations());
            case "spec.nodeName" -> ctx.nodeName();
            case "spec.serviceAccountName" -> pod.getSpec().getServiceAccountName() == null ? "" : pod.getSpec().getServiceAccountName();
            case "status.podIP", "status.podIPs" -> ctx.podIP();
            case "status.hostIP", "status.hostIPs" -> ctx.hostIP();
            default -> throw new CannotStartException("CreateContainerConfigError", "unsupported fieldPath: " + path);
        };
    }

    /** {@code key="value"} lines, sorted, as the downward API writes labels and annotations. */
    public static String formatMap(Map<String, String> m) {
        if (m == null) {
            return "";
        }
        StringBuilder b = new StringBuilder();
        new java.util.TreeMap<>(m).forEach((k, v) -> b.append(b.length() == 0 ? "" : "\n").append(k).append("=\"")
                .append(v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n")).append('"'));
        return b.toString();
    }

    /**
     * limits.cpu / requests.memory … divided by the divisor, rounded up (upstream); a {@code limits.*} the container does not
     * set is the node's allocatable (the kubelet's defaultPodLimitsForDownwardAPI), an unset request is 0.
     */
    public static String resource(Container c, ResourceFieldSelector sel, Map<String, String> nodeAllocatable) {
        String res = sel.getResource();
        boolean limit = res.startsWith("limits.");
        Map<String, Quantity> from = null;
        if (c.getResources() != null) {
            from = limit ? c.getResources().getLimits() : c.getResources().getRequests();
        }
        String key = res.substring(res.indexOf('.') + 1);
        Quantity q = from == null ? null : from.get(key);
        if (q == null && limit && nodeAllocatable.containsKey(key)) {
            q = new Quantity(nodeAllocatable.get(key));
        }
        BigDecimal value = q == null ? BigDecimal.ZERO : Quantity.getAmountInBytes(q);
        BigDecimal divisor = sel.getDivisor() == null ? BigDecimal.ONE : Quantity.getAmountInBytes(sel.getDivisor());
        if (divisor.signum() == 0) {
            divisor = BigDecimal.ONE;
        }
        return value.divide(divisor, 0, RoundingMode.CEILING).toPlainString();
    }

    /** A downwardAPI volume item's resourceFieldRef: the resource of the container it names (the pod's only one if it names none). */
    public static String resource(PodContext ctx, ResourceFieldSelector sel) throws CannotStartException {
        List<Container> all = new ArrayList<>(ctx.pod().getSpec().getContainers());
        if (ctx.pod().getSpec().getInitContainers() != null) {
            all.addAll(ctx.pod().getSpec().getInitContainers());
        }
        String name = sel.getContainerName();
        for (Container c : all) {
            if (name == null || name.isEmpty() ? all.size() == 1 : c.getName().equals(name)) {
                return resource(c, sel, ctx.nodeAllocatable());
            }
        }
        throw new CannotStartException("CreateContainerConfigError", "container " + name + " not found");
    }
}
