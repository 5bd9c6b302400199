package io.kuberaft.apiserver.crd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.apiserver.registry.ResourceStrategy;
import io.kuberaft.kubeapi.StatusException.Cause;

import java.util.List;

/**
 * A custom resource of one CRD version: schema defaults on every write, OpenAPI v3 schema validation (422 with
 * field causes), status cleared on create when the version has a status subresource (the generic registry keeps
 * spec and status apart on updates). Unknown fields are dropped (or refused, with fieldValidation=Strict) when
 * the request body is decoded, before the strategy runs. Updates need a resourceVersion, as upstream's CR strategy.
 */
final class CustomResourceStrategy implements ResourceStrategy {
    @Override
    public Generation generation() {
        return Generation.SPEC;
    }

    private final JsonNode schema;

    CustomResourceStrategy(JsonNode schema) {
        this.schema = schema;
    }

    @Override
    public void prepareForCreate(ResourceDefinition def, ObjectNode obj) {
        if (def.hasSubresource("status")) {
            obj.remove("status");
        }
        SchemaDefaults.apply(obj, schema);
    }

    @Override
    public void prepareForUpdate(ResourceDefinition def, ObjectNode obj, ObjectNode old) {
        SchemaDefaults.apply(obj, schema);
    }

    @Override
    public List<Cause> validate(ResourceDefinition def, ObjectNode obj) {
        return SchemaValidation.validate(obj, schema);
    }

    @Override
    public boolean allowUnconditionalUpdate() {
        return false;
    }
}
