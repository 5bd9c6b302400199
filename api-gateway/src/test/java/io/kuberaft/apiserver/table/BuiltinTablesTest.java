package io.kuberaft.apiserver.table;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.BuiltinResources;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.apiserver.registry.ResourceRegistry;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class BuiltinTablesTest {

    @Test
    void everyBuiltinKindHasUpstreamsPrinter() {
        ResourceRegistry registry = new ResourceRegistry();
        BuiltinResources.registerAll(registry);
        // the create-only reviews are never listed: upstream has no printer for them either
        for (ResourceDefinition def : registry.all().stream().filter(d -> d.allows("list")).toList()) {
            TableConvertor table = BuiltinTables.forKind(def.group(), def.kind());
            assertThat(table).as(def.apiVersion() + " " + def.kind()).isNotSameAs(TableConvertor.DEFAULT);
            assertWellFormed(def.kind(), table);
        }
    }

    @Test
    void theRegistryServesThem() {
        ResourceRegistry registry = new ResourceRegistry();
        BuiltinResources.registerAll(registry);
        for (ResourceDefinition def : registry.all()) {
            assertThat(def.table()).as(def.apiVersion() + " " + def.kind())
                    .isSameAs(BuiltinTables.forKind(def.group(), def.kind()));
        }
    }

    @Test
    void customKindsKeepTheDefaultNameAndAge() {
        TableConvertor t = BuiltinTables.forKind("stable.example.com", "CronTab");
        assertThat(t).isSameAs(TableConvertor.DEFAULT);
        assertThat(t.columns().get(0).format()).isEqualTo("name");
    }

    private static void assertWellFormed(String kind, TableConvertor table) {
        List<TableConvertor.Column> cols = table.columns();
        // the name column: first, except for events where it is the last (wide) one
        TableConvertor.Column name = kind.equals("Event") ? cols.get(cols.size() - 1) : cols.get(0);
        assertThat(name.name()).as(kind).isEqualTo("Name");
        assertThat(name.format()).as(kind).isEqualTo("name");
        assertThat(name.description()).as(kind).startsWith("Name must be unique within a namespace.");
        for (TableConvertor.Column c : cols) {
            assertThat(c.type()).as(kind + " " + c.name()).isIn("string", "integer", "boolean", "date", "number");
            assertThat(c.description()).as(kind + " " + c.name()).isNotBlank();
            assertThat(c.priority()).as(kind + " " + c.name()).isBetween(0, 1);
        }
        // an object with nothing set still yields one non-null cell per column
        ObjectNode empty = Fixtures.yaml("metadata: {name: x}");
        assertThat(Fixtures.cells(table, empty)).as(kind).hasSize(cols.size()).doesNotContainNull();
    }
}
