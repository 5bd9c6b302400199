package io.kuberaft.apiserver.admission;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kuberaft.apiserver.admission.PodSecurityStandards.Level;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class PodSecurityStandardsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode spec(String json) throws Exception {
        return JSON.readTree(json.replace('\'', '"'));
    }

    private static final String HOST_PATH = "{'volumes':[{'name':'data','hostPath':{'path':'/var/data'}}],"
            + "'containers':[{'name':'app','image':'nginx','securityContext':{'capabilities':{'add':['NET_ADMIN']}}}]}";

    @Test
    void baselineNamesHostPathVolumesAndNonDefaultCapabilities() throws Exception {
        assertThat(PodSecurityStandards.violations(Level.BASELINE, JSON.createObjectNode(), spec(HOST_PATH))).containsExactly(
                "non-default capabilities (container \"app\" must not include \"NET_ADMIN\" in securityContext.capabilities.add)",
                "hostPath volumes (volume \"data\")");
    }

    @Test
    void restrictedReplacesThemWithItsOwnChecks() throws Exception {
        assertThat(PodSecurityStandards.violations(Level.RESTRICTED, JSON.createObjectNode(), spec(HOST_PATH))).containsExactly(
                "allowPrivilegeEscalation != false (container \"app\" must set securityContext.allowPrivilegeEscalation=false)",
                "unrestricted capabilities (container \"app\" must set securityContext.capabilities.drop=[\"ALL\"]; "
                        + "container \"app\" must not include \"NET_ADMIN\" in securityContext.capabilities.add)",
                "restricted volume types (volume \"data\" uses restricted volume type \"hostPath\")",
                "runAsNonRoot != true (pod or container \"app\" must set securityContext.runAsNonRoot=true)",
                "seccompProfile (pod or container \"app\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")");
    }

    @Test
    void privilegedAllowsEverything() throws Exception {
        assertThat(PodSecurityStandards.violations(Level.PRIVILEGED, JSON.createObjectNode(), spec(HOST_PATH))).isEmpty();
    }
}
