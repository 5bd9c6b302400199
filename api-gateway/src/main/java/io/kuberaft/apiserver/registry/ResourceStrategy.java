package io.kuberaft.apiserver.registry;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.kubeapi.StatusException;

import java.util.List;

/**
 * Per-resource behaviour the generic store calls in one fixed order (as Kubernetes' RESTCreateStrategy
 * and RESTUpdateStrategy): create = prepareForCreate → validate → canonicalize; update =
 * prepareForUpdate → validateUpdate → canonicalize. Stateless.
 */
public interface ResourceStrategy {
    /** Defaults and server-owned fields on create (status cleared when there is a status subresource). */
    default void prepareForCreate(ResourceDefinition def, ObjectNode obj) {
    }

    /** Field problems of a new object; empty when valid. */
    default List<StatusException.Cause> validate(ResourceDefinition def, ObjectNode obj) {
        return List.of();
    }

    /** Keeps what the main endpoint may not change (status), bumps generation on spec change. */
    /**
     * Upstream's WarningsOnCreate/WarningsOnUpdate: what is valid but probably a mistake, returned to the client as
     * {@code Warning} headers.
     */
    default List<String> warnings(ObjectNode obj) {
        PodTemplateAt t = podTemplate(obj);
        return t == null ? List.of() : io.kuberaft.apiserver.strategy.PodWarnings.of(t.template(), t.path());
    }

    /**
     * The pod (template) an object of this kind carries, with its field path ("" for a pod itself), or null: what pod
     * warnings and PodSecurity's warn level look at.
     */
    default PodTemplateAt podTemplate(ObjectNode obj) {
        return null;
    }

    record PodTemplateAt(com.fasterxml.jackson.databind.JsonNode template, String path) {
    }

    default void prepareForUpdate(ResourceDefinition def, ObjectNode obj, ObjectNode old) {
    }

    default List<StatusException.Cause> validateUpdate(ResourceDefinition def, ObjectNode obj, ObjectNode old) {
        return validate(def, obj);
    }

    /**
     * How {@code metadata.generation} moves for this kind, as upstream's strategy sets it. Most kinds have none; workloads,
     * pod templates, autoscalers, budgets, ingresses, network policies, CRDs and custom resources count changes of their spec.
     */
    enum Generation {
        /** No generation (the server never sets one, and keeps a stored one unchanged). */
        NONE,
        /** 1 on create, +1 on an update that changes anything but metadata (and status, with a status subresource). */
        SPEC,
        /** As SPEC, and also +1 when the annotations change (Deployments: they are copied to the ReplicaSets). */
        SPEC_AND_ANNOTATIONS,
        /** As SPEC, and also +1 when the labels change (EndpointSlices: their controller tells a stale cache by it). */
        SPEC_AND_LABELS
    }

    /**
     * A status-subresource write: {@code next} is the stored object with the requested status; most kinds keep nothing
     * else of {@code requested}. Upstream's status strategies that take more from the request override this.
     */
    default void prepareForStatusUpdate(ObjectNode next, ObjectNode requested) {
    }

    /** As {@link #prepareForStatusUpdate(ObjectNode, ObjectNode)}, for status strategies that keep part of the stored status. */
    default void prepareForStatusUpdate(ObjectNode next, ObjectNode requested, ObjectNode old) {
        prepareForStatusUpdate(next, requested);
    }

    default Generation generation() {
        return Generation.NONE;
    }

    default void canonicalize(ResourceDefinition def, ObjectNode obj) {
    }

    /** PUT of a missing object creates it instead of 404. */
    default boolean allowCreateOnUpdate() {
        return false;
    }

    /** PUT without metadata.resourceVersion overwrites instead of failing with 409/422. */
    default boolean allowUnconditionalUpdate() {
        return true;
    }

    /**
     * The grace period of a delete: 0 deletes at once. Pods bound to a node override this (their
     * node agent finishes the delete).
     */
    default long gracePeriodSeconds(ObjectNode obj, Long requested) {
        return 0;
    }

    /**
     * Whether a delete must keep the object, marked with a deletionTimestamp, until the kind's own
     * finalization is done (namespaces: while {@code spec.finalizers} is not empty). {@code marked} is the
     * copy about to be stored; the strategy may change it (a namespace's phase becomes Terminating).
     */
    default boolean keepOnDelete(ObjectNode marked) {
        return false;
    }

    /** The value of a field selector field, or null when the field is not supported for this kind. */
    default String fieldValue(ObjectNode obj, String field) {
        return switch (field) {
            case "metadata.name" -> obj.path("metadata").path("name").asText("");
            case "metadata.namespace" -> obj.path("metadata").path("namespace").asText("");
            default -> null;
        };
    }
}
