package io.kuberaft.apiserver.strategy;

import io.kuberaft.apiserver.registry.ResourceStrategy;

import java.util.Map;

/** The strategy (defaults, validation, field selectors) of each built-in kind, keyed by "group/Kind". */
public final class BuiltinStrategies {
    private BuiltinStrategies() {
    }

    private static final Map<String, ResourceStrategy> BY_KIND = Map.of();

    public static ResourceStrategy forKind(String group, String kind, ResourceStrategy fallback) {
        return BY_KIND.getOrDefault(group + "/" + kind, fallback);
    }
}
