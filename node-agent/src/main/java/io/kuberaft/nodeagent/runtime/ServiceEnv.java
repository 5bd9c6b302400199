package io.kuberaft.nodeagent.runtime;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;

import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The Service environment variables the kubelet gives every container (upstream's envvars.FromServices):
 * {@code NAME_SERVICE_HOST}, {@code NAME_SERVICE_PORT}, {@code NAME_SERVICE_PORT_<PORTNAME>} and the
 * Docker-link style {@code NAME_PORT}, {@code NAME_PORT_<port>_<PROTO>[_PROTO|_PORT|_ADDR]}. Headless
 * services (no cluster IP) give none.
 */
public final class ServiceEnv {
    private ServiceEnv() {
    }

    public static Map<String, String> of(List<Service> services) {
        Map<String, String> env = new LinkedHashMap<>();
        services.stream().sorted(Comparator.comparing(s -> s.getMetadata().getName())).forEach(s -> add(env, s));
        return env;
    }

    private static void add(Map<String, String> env, Service s) {
        String ip = s.getSpec() == null ? null : s.getSpec().getClusterIP();
        List<ServicePort> ports = s.getSpec() == null ? null : s.getSpec().getPorts();
        if (ip == null || ip.isEmpty() || ip.equals("None") || ports == null || ports.isEmpty()) {
            return;
        }
        String name = envName(s.getMetadata().getName());
        env.put(name + "_SERVICE_HOST", ip);
        env.put(name + "_SERVICE_PORT", String.valueOf(ports.get(0).getPort()));
        for (ServicePort p : ports) {
            if (p.getName() != null && !p.getName().isEmpty()) {
                env.put(name + "_SERVICE_PORT_" + envName(p.getName()), String.valueOf(p.getPort()));
            }
        }
        ServicePort first = ports.get(0);
        env.put(name + "_PORT", protocol(first) + "://" + ip + ":" + first.getPort());
        for (ServicePort p : ports) {
            String prefix = name + "_PORT_" + p.getPort() + "_" + protocol(p).toUpperCase(Locale.ROOT);
            env.put(prefix, protocol(p) + "://" + ip + ":" + p.getPort());
            env.put(prefix + "_PROTO", protocol(p));
            env.put(prefix + "_PORT", String.valueOf(p.getPort()));
            env.put(prefix + "_ADDR", ip);
        }
    }

    private static String protocol(ServicePort p) {
        return (p.getProtocol() == null ? "TCP" : p.getProtocol()).toLowerCase(Locale.ROOT);
    }

    private static String envName(String name) {
        return name.toUpperCase(Locale.ROOT).replace('-', '_');
    }
}
