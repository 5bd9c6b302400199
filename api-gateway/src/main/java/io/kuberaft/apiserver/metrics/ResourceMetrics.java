package io.kuberaft.apiserver.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.http.MediaTypes;
import io.kuberaft.apiserver.http.PodStreams;
import io.kuberaft.apiserver.http.Reply;
import io.kuberaft.apiserver.http.RequestInfo;
import io.kuberaft.apiserver.registry.DefaultStrategy;
import io.kuberaft.apiserver.registry.Objects;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.apiserver.registry.ResourceRegistry;
import io.kuberaft.apiserver.registry.ResourceStore;
import io.kuberaft.apiserver.table.Tables;
import io.kuberaft.kubeapi.FieldSelector;
import io.kuberaft.kubeapi.LabelSelector;
import io.kuberaft.kubeapi.StatusException;
import io.kuberaft.raftstore.ReadConsistency;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The resource metrics API, {@code metrics.k8s.io/v1beta1}, served by every replica itself (what metrics-server adds
 * to a cluster): {@code nodes} (NodeMetrics) and {@code pods} (PodMetrics, namespaced), get and list only, from the
 * node agents' {@code /stats/summary} (see {@link AgentScraper}). Like metrics-server, a list has only the nodes and
 * Running pods whose agent answered with their usage, never an error for the others; {@code labelSelector} selects on
 * the nodes' and pods' labels, {@code fieldSelector} on {@code metadata.name} and {@code metadata.namespace}.
 */
public final class ResourceMetrics {
    public static final String GROUP = "metrics.k8s.io";
    public static final String VERSION = "v1beta1";
    private static final Set<String> VERBS = Set.of("get", "list");
    /** As metrics-server registers them: no singular name, no short names, no categories. */
    static final ResourceDefinition NODES = new ResourceDefinition(GROUP, VERSION, "nodes", "", "NodeMetrics", false, List.of(), List.of(),
            VERBS, List.of(), DefaultStrategy.INSTANCE, MetricsTable.INSTANCE);
    static final ResourceDefinition PODS = new ResourceDefinition(GROUP, VERSION, "pods", "", "PodMetrics", true, List.of(), List.of(),
            VERBS, List.of(), DefaultStrategy.INSTANCE, MetricsTable.INSTANCE);

    private final Vertx vertx;
    private final ResourceStore store;
    private final ResourceRegistry registry;
    private final AgentScraper agents;
    private final Clock clock;

    public ResourceMetrics(Vertx vertx, ResourceStore store, ResourceRegistry registry, HttpClient agentClient) {
        this.vertx = vertx;
        this.store = store;
        this.registry = registry;
        this.agents = new AgentScraper(vertx, agentClient, System::nanoTime);
        this.clock = Clock.systemUTC();
    }

    /** Adds the group's resources to discovery and OpenAPI; requests for them never reach the generic store. */
    public static void register(ResourceRegistry registry) {
        registry.register(NODES);
        registry.register(PODS);
    }

    /** Every request under {@code /apis/metrics.k8s.io/}. */
    public static boolean handles(RequestInfo info) {
        return info != null && info.group().equals(GROUP);
    }

    /** The reply to a request {@link #handles} (JSON, or a Table when {@code accept} asks for one); fails with a Status. */
    public Future<Reply> serve(RequestInfo info, Map<String, String> query, String accept) {
        ResourceDefinition def;
        Predicate<ObjectNode> selected;
        try {
            def = resolve(info);
            selected = info.name() == null ? selector(def, query) : o -> true;
        } catch (StatusException e) {
            return Future.failedFuture(e);
        }
        boolean table = MediaTypes.wantsTable(accept);
        boolean fullObjects = "Object".equals(query.get("includeObject"));
        Future<List<ObjectNode>> items = def == NODES ? nodes(info.name(), selected) : pods(info.namespace(), info.name(), selected);
        return items.map(list -> {
            if (table) {
                return Reply.ok(Tables.table(def, list, null, null, true, fullObjects));
            }
            if (info.name() != null) {
                return Reply.ok(list.get(0));
            }
            ObjectNode out = Objects.JSON.createObjectNode();
            out.put("kind", def.kind() + "List").put("apiVersion", MetricsObjects.API_VERSION);
            out.putObject("metadata");
            ArrayNode arr = out.putArray("items");
            list.forEach(arr::add);
            return Reply.ok(out);
        });
    }

    private static ResourceDefinition resolve(RequestInfo info) {
        ResourceDefinition def = !info.version().equals(VERSION) ? null
                : info.resource().equals("nodes") && info.namespace() == null ? NODES
                : info.resource().equals("pods") ? PODS : null;
        if (def == null || info.subresource() != null) {
            throw new StatusException(404, "NotFound", "the server could not find the requested resource");
        }
        if (info.verb().equals("watch")) {
            // metrics-server (0.7, of Kubernetes 1.32's time) has no watch: its list handler answers ?watch=true so
            throw new StatusException(405, "MethodNotAllowed", "watch is not supported on resources of kind \"" + def.plural() + "." + GROUP
                    + "\"", GROUP, def.plural(), null, List.of(), null);
        }
        if (!def.allows(info.verb())) {
            throw StatusException.methodNotAllowed("the server does not allow this method on the requested resource");
        }
        return def;
    }

    /** {@code labelSelector} and {@code fieldSelector} (metadata.name, metadata.namespace, as for any kind without its own field labels). */
    private static Predicate<ObjectNode> selector(ResourceDefinition def, Map<String, String> query) {
        LabelSelector labels;
        FieldSelector fields;
        try {
            labels = LabelSelector.parse(query.get("labelSelector"));
            fields = FieldSelector.parse(query.get("fieldSelector"));
        } catch (IllegalArgumentException e) {
            throw StatusException.badRequest(e.getMessage());
        }
        for (FieldSelector.Term t : fields.terms()) {
            if (!t.field().equals("metadata.name") && !t.field().equals("metadata.namespace")) {
                throw StatusException.badRequest("\"" + t.field() + "\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"");
            }
        }
        return o -> labels.matches(Objects.labels(o)) && fields.matches(f -> switch (f) {
            case "metadata.name" -> Objects.name(o);
            case "metadata.namespace" -> def.namespaced() ? Objects.namespace(o) : null;
            default -> null;
        });
    }

    private ResourceDefinition core(String plural) {
        return registry.find("", "v1", plural).orElseThrow(() -> StatusException.internal(plural + " are not registered"));
    }

    /** Each node's agent, by node name; a node whose status does not say where its agent listens has none. */
    private static Map<String, PodStreams.AgentAddress> agentsOf(Collection<ObjectNode> nodes) {
        Map<String, PodStreams.AgentAddress> out = new HashMap<>();
        for (ObjectNode n : nodes) {
            try {
                out.put(Objects.name(n), PodStreams.agentAddress(n));
            } catch (StatusException e) {
                // no InternalIP or port yet: no metrics
            }
        }
        return out;
    }

    /** The summary of {@code node} from its own agent's answer, or null. */
    private static JsonNode summaryOf(String node, Map<String, PodStreams.AgentAddress> agents,
                                      Map<PodStreams.AgentAddress, Map<String, JsonNode>> answers) {
        PodStreams.AgentAddress a = agents.get(node);
        return a == null ? null : answers.getOrDefault(a, Map.of()).get(node);
    }

    /** The nodes' metrics (one node's, or 404), read from the local replica as metrics-server reads its informer's cache. */
    private Future<List<ObjectNode>> nodes(String name, Predicate<ObjectNode> selected) {
        ResourceDefinition nodeDef = core("nodes");
        return vertx.<List<ObjectNode>>executeBlocking(() -> {
            if (name != null) {
                ObjectNode n = store.getOrNull(nodeDef, null, name, ReadConsistency.SERIALIZABLE);
                if (n == null) {
                    // what metrics-server's node lister answers
                    throw StatusException.notFound("", "node", name);
                }
                return List.of(n);
            }
            List<ObjectNode> all = new ArrayList<>(store.list(nodeDef, null, selected, 0, null, ReadConsistency.SERIALIZABLE, 0).items());
            all.sort(Comparator.comparing(Objects::name));
            return all;
        }, false).compose(nodes -> {
            Map<String, PodStreams.AgentAddress> where = agentsOf(nodes);
            return agents.summaries(where.values()).map(summaries -> {
                Instant now = clock.instant();
                List<ObjectNode> out = new ArrayList<>();
                for (ObjectNode n : nodes) {
                    JsonNode s = summaryOf(Objects.name(n), where, summaries);
                    if (s != null) {
                        out.add(MetricsObjects.nodeMetrics(n, s, now));
                    }
                }
                if (name != null && out.isEmpty()) {
                    throw StatusException.notFound(GROUP, "nodemetrics", name);
                }
                return out;
            });
        });
    }

    /** The Running pods' metrics, of a namespace or all (one pod's, or 404). */
    private Future<List<ObjectNode>> pods(String namespace, String name, Predicate<ObjectNode> selected) {
        ResourceDefinition podDef = core("pods");
        ResourceDefinition nodeDef = core("nodes");
        record Read(List<ObjectNode> pods, Map<String, ObjectNode> nodes) {
        }
        return vertx.<Read>executeBlocking(() -> {
            List<ObjectNode> pods;
            if (name != null) {
                ObjectNode p = store.getOrNull(podDef, namespace, name, ReadConsistency.SERIALIZABLE);
                // metrics-server knows only Running pods: any other is as missing to it
                if (p == null || !running(p)) {
                    throw StatusException.notFound("", "pods", name);
                }
                pods = List.of(p);
            } else {
                pods = new ArrayList<>(store.list(podDef, namespace, o -> running(o) && selected.test(o), 0, null,
                        ReadConsistency.SERIALIZABLE, 0).items());
                pods.sort(Comparator.comparing(Objects::namespace).thenComparing(Objects::name));
            }
            Map<String, ObjectNode> nodes = new HashMap<>();
            for (ObjectNode p : pods) {
                String node = p.path("spec").path("nodeName").asText("");
                if (!nodes.containsKey(node)) {
                    ObjectNode n = store.getOrNull(nodeDef, null, node, ReadConsistency.SERIALIZABLE);
                    if (n != null) {
                        nodes.put(node, n);
                    }
                }
            }
            return new Read(pods, nodes);
        }, false).compose(read -> {
            Map<String, PodStreams.AgentAddress> where = agentsOf(read.nodes().values());
            return agents.summaries(where.values()).map(summaries -> {
                Instant now = clock.instant();
                List<ObjectNode> out = new ArrayList<>();
                for (ObjectNode p : read.pods()) {
                    JsonNode summary = summaryOf(p.path("spec").path("nodeName").asText(""), where, summaries);
                    JsonNode stats = summary == null ? null : podStats(summary, Objects.namespace(p), Objects.name(p));
                    ObjectNode m = stats == null ? null : MetricsObjects.podMetrics(p, stats, now);
                    if (m != null) {
                        out.add(m);
                    }
                }
                if (name != null && out.isEmpty()) {
                    throw StatusException.notFound(GROUP, "podmetrics", namespace + "/" + name);
                }
                return out;
            });
        });
    }

    private static boolean running(JsonNode pod) {
        return pod.path("status").path("phase").asText("").equals("Running") && !pod.path("spec").path("nodeName").asText("").isEmpty();
    }

    private static JsonNode podStats(JsonNode summary, String namespace, String name) {
        for (JsonNode p : summary.path("pods")) {
            JsonNode ref = p.path("podRef");
            if (ref.path("namespace").asText().equals(namespace) && ref.path("name").asText().equals(name)) {
                return p;
            }
        }
        return null;
    }
}
