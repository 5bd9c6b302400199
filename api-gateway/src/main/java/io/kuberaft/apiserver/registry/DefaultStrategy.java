package io.kuberaft.apiserver.registry;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The strategy of a kind with no special rules: on create its status (if it has a status
 * subresource) starts empty, as upstream strategies reset it.
 */
public class DefaultStrategy implements ResourceStrategy {
    public static final DefaultStrategy INSTANCE = new DefaultStrategy();

    @Override
    public void prepareForCreate(ResourceDefinition def, ObjectNode obj) {
        if (def.hasSubresource("status")) {
            obj.remove("status");
        }
    }

    /** Namespaces and services: names are DNS-1123 labels. */
    public static final class LabelNamed extends DefaultStrategy implements Validation.NameIsDns1123Label {
    }
}
