package io.kuberaft.apiserver.strategy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.BuiltinResources;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.apiserver.registry.ResourceRegistry;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** autoscaling/v2 (stored) to autoscaling/v1 and back, every metric source, and the annotations' shapes. */
class HorizontalPodAutoscalerConversionTest {
    static final ObjectMapper M = new ObjectMapper();
    static final ResourceRegistry R = new ResourceRegistry();

    static {
        BuiltinResources.registerAll(R);
    }

    static final ResourceDefinition V1 = R.find("autoscaling", "v1", "horizontalpodautoscalers").orElseThrow();
    static final ResourceDefinition V2 = R.find("autoscaling", "v2", "horizontalpodautoscalers").orElseThrow();

    static ObjectNode json(String singleQuoted) throws Exception {
        return (ObjectNode) M.readTree(singleQuoted.replace('\'', '"'));
    }

    static ObjectNode toV1(ObjectNode v2) {
        return V1.conversion().fromStorage(V1, v2.deepCopy());
    }

    static ObjectNode toV2(ObjectNode v1) {
        return V1.conversion().toStorage(V1, v1);
    }

    static final String SPEC_METRICS = "["
            + "{'type':'Resource','resource':{'name':'memory','target':{'type':'AverageValue','averageValue':'1Gi'}}},"
            + "{'type':'ContainerResource','containerResource':{'name':'cpu','target':{'type':'Utilization','averageUtilization':60},'container':'app'}},"
            + "{'type':'Pods','pods':{'metric':{'name':'qps','selector':{'matchLabels':{'a':'b'}}},'target':{'type':'AverageValue','averageValue':'10'}}},"
            + "{'type':'Object','object':{'describedObject':{'apiVersion':'networking.k8s.io/v1','kind':'Ingress','name':'main'},"
            + "'target':{'type':'Value','value':'2k'},'metric':{'name':'requests'}}},"
            + "{'type':'Object','object':{'describedObject':{'kind':'Service','name':'s'},'target':{'type':'AverageValue','averageValue':'5'},'metric':{'name':'m'}}},"
            + "{'type':'External','external':{'metric':{'name':'queue','selector':{'matchLabels':{'q':'jobs'}}},'target':{'type':'AverageValue','averageValue':'30'}}},"
            + "{'type':'External','external':{'metric':{'name':'lag'},'target':{'type':'Value','value':'100'}}},"
            + "{'type':'Resource','resource':{'name':'cpu','target':{'type':'Utilization','averageUtilization':50}}}]";

    static final String STATUS_METRICS = "["
            + "{'type':'Resource','resource':{'name':'cpu','current':{'averageValue':'120m','averageUtilization':40}}},"
            + "{'type':'ContainerResource','containerResource':{'name':'cpu','current':{'averageValue':'50m','averageUtilization':20},'container':'app'}},"
            + "{'type':'Pods','pods':{'metric':{'name':'qps'},'current':{'averageValue':'7'}}},"
            + "{'type':'Object','object':{'metric':{'name':'requests'},'current':{'value':'1500'},'describedObject':{'kind':'Ingress','name':'main'}}},"
            + "{'type':'External','external':{'metric':{'name':'queue'},'current':{'value':'12','averageValue':'4'}}}]";

    static ObjectNode fullV2() throws Exception {
        return json("{'apiVersion':'autoscaling/v2','kind':'HorizontalPodAutoscaler','metadata':{'name':'h','namespace':'default'},"
                + "'spec':{'scaleTargetRef':{'apiVersion':'apps/v1','kind':'Deployment','name':'h'},'minReplicas':1,'maxReplicas':9,"
                + "'metrics':" + SPEC_METRICS + ",'behavior':{'scaleUp':{'stabilizationWindowSeconds':0,'selectPolicy':'Max',"
                + "'policies':[{'type':'Pods','value':4,'periodSeconds':15}]}}},"
                + "'status':{'observedGeneration':3,'lastScaleTime':'2025-01-01T00:00:00Z','currentReplicas':2,'desiredReplicas':3,"
                + "'currentMetrics':" + STATUS_METRICS + ",'conditions':[{'type':'ScalingActive','status':'True',"
                + "'lastTransitionTime':'2025-01-01T00:00:00Z','reason':'ValidMetricFound','message':'ok'}]}}");
    }

    @Test
    void everyV2FieldSurvivesARoundTripThroughV1() throws Exception {
        ObjectNode v2 = fullV2();
        ObjectNode v1 = toV1(v2);
        assertThat(v1.path("spec").path("targetCPUUtilizationPercentage").asInt()).isEqualTo(50);
        assertThat(v1.path("status").path("currentCPUUtilizationPercentage").asInt()).isEqualTo(40);
        assertThat(v1.path("status").path("observedGeneration").asInt()).isEqualTo(3);
        assertThat(v1.path("spec").has("metrics") || v1.path("spec").has("behavior") || v1.path("status").has("currentMetrics")
                || v1.path("status").has("conditions")).isFalse();

        ObjectNode back = toV2(v1);
        // the cpu target goes last (v1 cannot say where it was); everything else is as it was
        assertThat(back.path("spec").path("metrics")).containsExactlyElementsOf(M.readTree(SPEC_METRICS.replace('\'', '"')));
        assertThat(back.path("spec").path("behavior")).isEqualTo(v2.path("spec").path("behavior"));
        assertThat(back.path("status")).isEqualTo(v2.path("status"));
        assertThat(back.path("metadata").has("annotations")).isFalse();
        assertThat(back).isEqualTo(v2);
    }

    @Test
    void theAnnotationsHaveV1sShapes() throws Exception {
        JsonNode annotations = toV1(fullV2()).path("metadata").path("annotations");
        JsonNode metrics = M.readTree(annotations.path(HorizontalPodAutoscalerConversion.METRICS).asText());
        assertThat(metrics).hasSize(7);
        assertThat(metrics.get(0)).isEqualTo(json("{'type':'Resource','resource':{'name':'memory','targetAverageValue':'1Gi'}}"));
        assertThat(metrics.get(1)).isEqualTo(json("{'type':'ContainerResource','containerResource':{'name':'cpu',"
                + "'targetAverageUtilization':60,'container':'app'}}"));
        assertThat(metrics.get(2)).isEqualTo(json("{'type':'Pods','pods':{'metricName':'qps','targetAverageValue':'10',"
                + "'selector':{'matchLabels':{'a':'b'}}}}"));
        assertThat(metrics.get(3)).isEqualTo(json("{'type':'Object','object':{'target':{'apiVersion':'networking.k8s.io/v1',"
                + "'kind':'Ingress','name':'main'},'metricName':'requests','targetValue':'2k'}}"));
        assertThat(metrics.get(5)).isEqualTo(json("{'type':'External','external':{'metricName':'queue',"
                + "'metricSelector':{'matchLabels':{'q':'jobs'}},'targetAverageValue':'30'}}"));
        JsonNode current = M.readTree(annotations.path(HorizontalPodAutoscalerConversion.CURRENT_METRICS).asText());
        assertThat(current.get(0)).isEqualTo(json("{'type':'Resource','resource':{'name':'cpu','currentAverageUtilization':40,"
                + "'currentAverageValue':'120m'}}"));
        assertThat(current.get(4)).isEqualTo(json("{'type':'External','external':{'metricName':'queue','currentValue':'12',"
                + "'currentAverageValue':'4'}}"));
        assertThat(M.readTree(annotations.path(HorizontalPodAutoscalerConversion.CONDITIONS).asText()).get(0).path("reason").asText())
                .isEqualTo("ValidMetricFound");
        // upstream marshals its internal behavior type: Go's field names, unset pointers as null
        assertThat(M.readTree(annotations.path(HorizontalPodAutoscalerConversion.BEHAVIOR).asText())).isEqualTo(json(
                "{'ScaleUp':{'StabilizationWindowSeconds':0,'SelectPolicy':'Max','Policies':[{'Type':'Pods','Value':4,'PeriodSeconds':15}]},"
                        + "'ScaleDown':null}"));
    }

    @Test
    void annotationsWrittenByUpstreamAreRead() throws Exception {
        // as an upstream apiserver serves them: required fields always present, the behavior fully defaulted
        ObjectNode v1 = json("{'apiVersion':'autoscaling/v1','kind':'HorizontalPodAutoscaler','metadata':{'name':'h','annotations':{"
                + "'autoscaling.alpha.kubernetes.io/metrics':'[{\\'type\\':\\'Pods\\',\\'pods\\':{\\'metricName\\':\\'qps\\',\\'targetAverageValue\\':\\'1k\\'}}]',"
                + "'autoscaling.alpha.kubernetes.io/behavior':'{\\'ScaleUp\\':{\\'StabilizationWindowSeconds\\':0,\\'SelectPolicy\\':\\'Max\\',"
                + "\\'Policies\\':[{\\'Type\\':\\'Percent\\',\\'Value\\':100,\\'PeriodSeconds\\':15}]},\\'scaledown\\':{\\'StabilizationWindowSeconds\\':null,"
                + "\\'SelectPolicy\\':\\'Max\\',\\'Policies\\':null}}'}},"
                + "'spec':{'scaleTargetRef':{'kind':'Deployment','name':'h'},'maxReplicas':4,'targetCPUUtilizationPercentage':70}}"
                .replace("\\'", "\\\""));
        ObjectNode v2 = toV2(v1);
        assertThat(v2.path("spec").path("metrics")).containsExactly(
                json("{'type':'Pods','pods':{'metric':{'name':'qps'},'target':{'type':'AverageValue','averageValue':'1k'}}}"),
                json("{'type':'Resource','resource':{'name':'cpu','target':{'type':'Utilization','averageUtilization':70}}}"));
        assertThat(v2.path("spec").path("behavior")).isEqualTo(json("{'scaleUp':{'stabilizationWindowSeconds':0,'selectPolicy':'Max',"
                + "'policies':[{'type':'Percent','value':100,'periodSeconds':15}]},'scaleDown':{'selectPolicy':'Max'}}"));
        assertThat(v2.path("metadata").has("annotations")).isFalse();
    }

    @Test
    void annotationsThatDoNotDecodeAreIgnoredAndNeverKept() throws Exception {
        ObjectNode v1 = json("{'apiVersion':'autoscaling/v1','kind':'HorizontalPodAutoscaler','metadata':{'name':'h','annotations':{'keep':'me',"
                + "'autoscaling.alpha.kubernetes.io/metrics':'abc','autoscaling.alpha.kubernetes.io/behavior':'{\\'ScaleUp\\':{\\'Policies\\':7}}',"
                + "'autoscaling.alpha.kubernetes.io/current-metrics':'{}','autoscaling.alpha.kubernetes.io/conditions':'[1]'}},"
                + "'spec':{'scaleTargetRef':{'kind':'Deployment','name':'h'},'maxReplicas':4},"
                + "'status':{'currentReplicas':1,'desiredReplicas':1,'currentCPUUtilizationPercentage':33}}".replace("\\'", "\\\""));
        ObjectNode v2 = toV2(v1);
        assertThat(v2.path("spec").path("metrics")).containsExactly(
                json("{'type':'Resource','resource':{'name':'cpu','target':{'type':'Utilization','averageUtilization':80}}}"));
        assertThat(v2.path("spec").has("behavior")).isFalse();
        assertThat(v2.path("status").path("currentMetrics")).containsExactly(
                json("{'type':'Resource','resource':{'name':'cpu','current':{'averageUtilization':33}}}"));
        assertThat(v2.path("status").has("conditions")).isFalse();
        assertThat(v2.path("metadata").path("annotations")).isEqualTo(json("{'keep':'me'}"));
        // a v2 client cannot store them either
        ObjectNode viaV2 = json("{'apiVersion':'autoscaling/v2','metadata':{'name':'h','annotations':{"
                + "'autoscaling.alpha.kubernetes.io/metrics':'[]'}},'spec':{'maxReplicas':1}}");
        assertThat(V2.conversion().toStorage(V2, viaV2).path("metadata").has("annotations")).isFalse();
        assertThat(viaV2.path("metadata").has("annotations")).as("the request's object is not changed").isTrue();
    }
}
