package io.kuberaft.apiserver.table;

import java.util.Map;

/** The table columns of each built-in kind (server-side printing), keyed by "group/Kind" ("" group for core). */
public final class BuiltinTables {
    private BuiltinTables() {
    }

    private static final Map<String, TableConvertor> BY_KIND = Map.of();

    public static TableConvertor forKind(String group, String kind) {
        return BY_KIND.getOrDefault(group + "/" + kind, TableConvertor.DEFAULT);
    }
}
