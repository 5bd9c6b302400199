package io.kuberaft.controllers.runtime;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;

/**
 * core/v1 Events as client-go's recorder writes them, with its correlator's aggregation: an event
 * identical to one written in the last 10 minutes (same object, type, reason, message, source)
 * bumps that event's {@code count} and {@code lastTimestamp}, which {@code kubectl describe} shows
 * as {@code (x3 over 4m)}; and its aggregator's: once an object has had {@value #MAX_SIMILAR} events of one type and
 * reason with different messages in the window (a ReplicaSet's {@code FailedCreate} names a new pod each time), the
 * next ones become one event {@code (combined from similar events): <latest message>} whose count grows. Written in the
 * background: a controller never waits for its events, and a lost event (as upstream) costs nothing but the record.
 */
public final class EventRecorder implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EventRecorder.class);
    private static final Duration AGGREGATION_WINDOW = Duration.ofMinutes(10);
    private static final int CACHE_SIZE = 4096;
    /** client-go's EventAggregator maxEvents: distinct messages of one kind of event before they are combined. */
    static final int MAX_SIMILAR = 10;
    static final String COMBINED = "(combined from similar events): ";

    private final KubernetesClient client;
    private final Clock clock;
    /** One writer per stripe; an event's identity picks its stripe, so identical events are aggregated in order. */
    private final ExecutorService[] writers;
    /** Identity of an event → the event written for it, least recently used first. */
    private final Map<String, Written> recent = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Written> e) {
            return size() > CACHE_SIZE;
        }
    };

    private final java.util.concurrent.atomic.AtomicLong lastNanos = new java.util.concurrent.atomic.AtomicLong();

    private record Written(String namespace, String name, int count, Instant first, Instant last) {
    }

    /** The distinct messages seen for one aggregate key (the identity without the message), and when the last came. */
    private record Similar(java.util.Set<String> messages, Instant last) {
    }

    private final Map<String, Similar> similar = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Similar> e) {
            return size() > CACHE_SIZE;
        }
    };

    public EventRecorder(KubernetesClient client, Clock clock) {
        this(client, clock, 1);
    }

    /** A recorder writing with {@code writers} threads (a node agent records for many nodes at once). */
    public EventRecorder(KubernetesClient client, Clock clock, int writers) {
        this.client = client;
        this.clock = clock;
        this.writers = new ExecutorService[Math.max(1, writers)];
        for (int i = 0; i < this.writers.length; i++) {
            this.writers[i] = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "event-recorder");
                t.setDaemon(true);
                return t;
            });
        }
    }

    /** The recorder of one component ({@code source.component}, the FROM column of describe). */
    public Source source(String component) {
        return new Source(component, null);
    }

    /** The recorder of a component of one node, as the kubelet's: {@code source.host} and the reporting instance are the node. */
    public Source source(String component, String host) {
        return new Source(component, host);
    }

    public final class Source {
        private final String component;
        private final String host;

        private Source(String component, String host) {
            this.component = component;
            this.host = host;
        }

        public void normal(HasMetadata involved, String reason, String message) {
            event(involved, null, "Normal", reason, message);
        }

        public void warning(HasMetadata involved, String reason, String message) {
            event(involved, null, "Warning", reason, message);
        }

        /** An event about a part of {@code involved} ({@code fieldPath}, e.g. {@code spec.containers{app}}; null: the whole object). */
        public void event(HasMetadata involved, String fieldPath, String type, String reason, String message) {
            record(component, host, involved, fieldPath, type, reason, message);
        }
    }

    private void record(String component, String host, HasMetadata involved, String fieldPath, String type, String reason, String message) {
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        var meta = involved.getMetadata();
        // Events of cluster-scoped objects (nodes, PVs) live in "default", as upstream's.
        String ns = meta.getNamespace() == null || meta.getNamespace().isEmpty() ? "default" : meta.getNamespace();
        // client-go's aggregation key: source, involved object (with its fieldPath), type, reason; then the message
        String aggregate = String.join("\u0000", component, String.valueOf(host), ns, involved.getKind(), meta.getName(),
                String.valueOf(meta.getUid()), String.valueOf(fieldPath), type, reason);
        boolean combined;
        synchronized (similar) {
            Similar prior = similar.get(aggregate);
            java.util.Set<String> messages = prior == null || Duration.between(prior.last(), now).compareTo(AGGREGATION_WINDOW) > 0
                    ? new java.util.HashSet<>() : prior.messages();
            messages.add(message);
            combined = messages.size() >= MAX_SIMILAR;
            if (combined) {
                messages.remove(messages.iterator().next()); // as upstream's PopAny: the set stays below the threshold
            }
            similar.put(aggregate, new Similar(messages, now));
        }
        String identity = combined ? aggregate + "\u0000combined" : aggregate + "\u0000" + message;
        String text = combined ? COMBINED + message : message;
        try {
            writers[Math.floorMod(identity.hashCode(), writers.length)]
                    .execute(() -> write(identity, component, host, involved, fieldPath, ns, type, reason, text, now));
        } catch (RejectedExecutionException e) {
            // closed: the term ended
        }
    }

    private void write(String identity, String component, String host, HasMetadata involved, String fieldPath, String ns,
                       String type, String reason, String message, Instant now) {
        var meta = involved.getMetadata();
        Written prior;
        synchronized (recent) {
            prior = recent.get(identity);
        }
        try {
            if (prior != null && Duration.between(prior.last(), now).compareTo(AGGREGATION_WINDOW) < 0) {
                int count = prior.count() + 1;
                // a combined event shows the latest of the messages it stands for
                String patch = "{\"count\":" + count + ",\"lastTimestamp\":\"" + now + "\""
                        + (message.startsWith(COMBINED) ? ",\"message\":" + com.fasterxml.jackson.databind.node.TextNode.valueOf(message) : "") + "}";
                try {
                    DirectRequests.patch(client, client.v1().events().inNamespace(prior.namespace()).withName(prior.name()),
                            PatchType.JSON_MERGE, patch, null);
                    remember(identity, new Written(prior.namespace(), prior.name(), count, prior.first(), now));
                    return;
                } catch (KubernetesClientException e) {
                    if (e.getCode() != 404) {
                        throw e;
                    }
                    // the event expired or was deleted: write a new one
                }
            }
            // upstream's name: <object>.<unix nanos in hex>; strictly increasing so two events never collide
            Instant t = clock.instant();
            long wall = t.getEpochSecond() * 1_000_000_000L + t.getNano();
            long nanos = lastNanos.updateAndGet(last -> Math.max(last + 1, wall));
            String name = meta.getName() + "." + Long.toHexString(nanos);
            Event ev = new EventBuilder()
                    .withNewMetadata().withName(name).withNamespace(ns).endMetadata()
                    .withInvolvedObject(new ObjectReferenceBuilder().withApiVersion(involved.getApiVersion())
                            .withKind(involved.getKind()).withName(meta.getName()).withNamespace(meta.getNamespace())
                            .withUid(meta.getUid()).withResourceVersion(meta.getResourceVersion()).withFieldPath(fieldPath).build())
                    .withType(type).withReason(reason).withMessage(message)
                    .withNewSource().withComponent(component).withHost(host).endSource()
                    .withReportingComponent(component).withReportingInstance(host == null ? component : host)
                    .withFirstTimestamp(now.toString()).withLastTimestamp(now.toString()).withCount(1)
                    .build();
            client.v1().events().inNamespace(ns).resource(ev).create();
            remember(identity, new Written(ns, name, 1, now, now));
        } catch (RuntimeException e) {
            LOG.debug("event {} {} for {}/{} not recorded: {}", type, reason, ns, meta.getName(), e.toString());
        }
    }

    private void remember(String identity, Written w) {
        synchronized (recent) {
            recent.put(identity, w);
        }
    }

    @Override
    public void close() {
        for (ExecutorService w : writers) {
            w.shutdownNow();
        }
    }
}
