package io.kuberaft.apiserver.http;

import io.kuberaft.apiserver.InProcessKubectl;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code kubectl api-resources} (aggregated discovery) lists the core resources with upstream's verbs. */
class KubectlDiscoveryTest {
    @TempDir
    Path tmp;

    @Test
    void coreResourcesHaveUpstreamsVerbs() throws Exception {
        Assumptions.assumeTrue(InProcessKubectl.available(), "kubectl not installed at /usr/bin/kubectl");
        try (InProcessKubectl k = new InProcessKubectl(tmp)) {
            List<String> lines = k.kubectl(60, "api-resources", "--api-group=", "-o", "wide").ok().out().lines().toList();
            assertThat(lines).anySatisfy(l -> assertThat(l).matches("bindings +v1 +true +Binding +create *"))
                    .anySatisfy(l -> assertThat(l).matches("componentstatuses +cs +v1 +false +ComponentStatus +get,list *"))
                    .anySatisfy(l -> assertThat(l).matches(
                            "namespaces +ns +v1 +false +Namespace +create,delete,get,list,patch,update,watch *"));
            // and the legacy discovery document says the same
            String legacy = k.kubectl(60, "get", "--raw", "/api/v1").ok().out();
            assertThat(legacy).contains("{\"name\":\"bindings\",\"singularName\":\"binding\",\"namespaced\":true,\"kind\":\"Binding\",\"verbs\":[\"create\"]}");
            var collection = java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + k.server().port() + "/api/v1/namespaces"))
                    .DELETE().build();
            assertThat(java.net.http.HttpClient.newHttpClient().send(collection, java.net.http.HttpResponse.BodyHandlers.ofString()).statusCode())
                    .isEqualTo(405);
        }
    }
}
