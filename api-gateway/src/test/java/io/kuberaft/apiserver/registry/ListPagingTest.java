package io.kuberaft.apiserver.registry;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.admission.Cluster;
import io.kuberaft.raftstore.ReadConsistency;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/** Paged lists (?limit=&continue=), with and without a selector: every item once, in order, and the remaining count. */
class ListPagingTest {
    @TempDir
    Path dir;

    @Test
    void pagesCoverEveryItemOnceWithTheRemainingCount() {
        try (Cluster c = new Cluster(dir)) {
            for (int i = 0; i < 25; i++) {
                c.create("", "configmaps", "default", "metadata: {name: cm" + (char) ('a' + i) + ", labels: {odd: '" + (i % 2 == 1) + "'}}");
            }
            ResourceDefinition def = c.def("", "configmaps");
            List<String> all = pages(c, def, o -> true, 10, List.of(15L, 5L, 0L));
            assertThat(all).hasSize(25).doesNotHaveDuplicates().isSorted();
            List<String> odd = pages(c, def, o -> "true".equals(Objects.labels(o).get("odd")), 5, null);
            assertThat(odd).hasSize(12).doesNotHaveDuplicates().isSorted().allMatch(n -> (n.charAt(2) - 'a') % 2 == 1);
        }
    }

    /** Every page of the list; {@code remaining}, when given, the remaining counts expected after each page. */
    private static List<String> pages(Cluster c, ResourceDefinition def, Predicate<ObjectNode> filter, long limit, List<Long> remaining) {
        List<String> names = new ArrayList<>();
        String token = null;
        int page = 0;
        do {
            ResourceStore.Page p = c.store.list(def, "default", filter, limit, token, ReadConsistency.LINEARIZABLE, 0);
            assertThat(p.items().size()).isLessThanOrEqualTo((int) limit);
            p.items().forEach(o -> names.add(Objects.name(o)));
            if (remaining != null) {
                assertThat(p.remaining()).as("remaining after page %d", page).isEqualTo(remaining.get(page));
            }
            token = p.continueToken();
            page++;
        } while (token != null && page < 20);
        return names;
    }
}
