package io.kuberaft.apiserver.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import io.kubernetes.client.proto.IntStr.IntOrString;
import io.kubernetes.client.proto.Meta;
import io.kubernetes.client.proto.Resource.Quantity;
import io.kubernetes.client.proto.Runtime;
import io.kubernetes.client.proto.V1;
import io.kubernetes.client.proto.V1Apiextensions;
import io.kubernetes.client.proto.V1Apps;
import io.kubernetes.client.proto.V1Certificates;
import io.kubernetes.client.proto.V1Coordination;
import io.kuberaft.kubeapi.StatusException;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Protobuf bodies built the way client-go writes them (every non-pointer field present, zero or not)
 * decode to the JSON client-go would have sent for the same object.
 */
class ProtobufBodiesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static byte[] envelope(String apiVersion, String kind, Message object) {
        Runtime.Unknown u = Runtime.Unknown.newBuilder()
                .setTypeMeta(Runtime.TypeMeta.newBuilder().setApiVersion(apiVersion).setKind(kind))
                .setRaw(object.toByteString())
                .build();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[]{'k', '8', 's', 0});
        out.writeBytes(u.toByteArray());
        return out.toByteArray();
    }

    static JsonNode json(String text) {
        try {
            return JSON.readTree(text.replace('\'', '"'));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** ObjectMeta as gogo-protobuf marshals it: every non-pointer field written, the zero time as an empty message. */
    static Meta.ObjectMeta.Builder meta(String name) {
        return Meta.ObjectMeta.newBuilder().setName(name).setGenerateName("").setNamespace("").setSelfLink("").setUid("")
                .setResourceVersion("").setGeneration(0).setCreationTimestamp(Meta.Time.newBuilder());
    }

    static IntOrString intOrString(int i) {
        return IntOrString.newBuilder().setType(0).setIntVal(i).setStrVal("").build();
    }

    static IntOrString intOrString(String s) {
        return IntOrString.newBuilder().setType(1).setIntVal(0).setStrVal(s).build();
    }

    static Quantity quantity(String s) {
        return Quantity.newBuilder().setString(s).build();
    }

    @Test
    void namespaceDropsGoZeroValues() {
        V1.Namespace ns = V1.Namespace.newBuilder().setMetadata(meta("demo"))
                .setSpec(V1.NamespaceSpec.newBuilder())
                .setStatus(V1.NamespaceStatus.newBuilder().setPhase(""))
                .build();
        assertThat(ProtobufBodies.decode(envelope("v1", "Namespace", ns)))
                .isEqualTo(json("{'kind':'Namespace','apiVersion':'v1','metadata':{'name':'demo'},'spec':{},'status':{}}"));
    }

    @Test
    void configMapKeepsPointerZeroAndMaps() {
        V1.ConfigMap cm = V1.ConfigMap.newBuilder().setMetadata(meta("cfg").setNamespace("demo").putLabels("app", "web"))
                .putData("a", "b").putData("empty", "")
                .putBinaryData("bin", ByteString.copyFrom(new byte[]{0, 1, 2}))
                .setImmutable(false)
                .build();
        assertThat(ProtobufBodies.decode(envelope("v1", "ConfigMap", cm))).isEqualTo(json("""
                {'kind':'ConfigMap','apiVersion':'v1',
                 'metadata':{'name':'cfg','namespace':'demo','labels':{'app':'web'}},
                 'immutable':false,'data':{'a':'b','empty':''},'binaryData':{'bin':'AAEC'}}"""));
    }

    @Test
    void secretBytesAreBase64() {
        V1.Secret s = V1.Secret.newBuilder().setMetadata(meta("s"))
                .putData("k", ByteString.copyFromUtf8("v"))
                .putData("bin", ByteString.copyFrom(new byte[]{0, (byte) 0xff, (byte) 0xfe, 0x10}))
                .setType("Opaque")
                .build();
        assertThat(ProtobufBodies.decode(envelope("v1", "Secret", s))).isEqualTo(json("""
                {'kind':'Secret','apiVersion':'v1','metadata':{'name':'s'},
                 'data':{'k':'dg==','bin':'AP/+EA=='},'type':'Opaque'}"""));
    }

    @Test
    void deploymentWithResourcesPortsProbesAndVolumes() {
        V1.Container c = V1.Container.newBuilder().setName("nginx").setImage("nginx:1.27").setWorkingDir("")
                .addPorts(V1.ContainerPort.newBuilder().setName("http").setHostPort(0).setContainerPort(80).setProtocol("TCP").setHostIP(""))
                .setResources(V1.ResourceRequirements.newBuilder()
                        .putLimits("cpu", quantity("500m")).putLimits("memory", quantity("128Mi"))
                        .putRequests("cpu", quantity("250m")))
                .setLivenessProbe(V1.Probe.newBuilder()
                        .setHandler(V1.ProbeHandler.newBuilder().setHttpGet(V1.HTTPGetAction.newBuilder()
                                .setPath("/healthz").setPort(intOrString(8080)).setHost("").setScheme("HTTP")))
                        .setInitialDelaySeconds(3).setTimeoutSeconds(1).setPeriodSeconds(0).setSuccessThreshold(0).setFailureThreshold(0))
                .setReadinessProbe(V1.Probe.newBuilder()
                        .setHandler(V1.ProbeHandler.newBuilder().setTcpSocket(V1.TCPSocketAction.newBuilder()
                                .setPort(intOrString("http")).setHost("")))
                        .setInitialDelaySeconds(0).setTimeoutSeconds(0).setPeriodSeconds(5).setSuccessThreshold(0).setFailureThreshold(0))
                .addVolumeMounts(V1.VolumeMount.newBuilder().setName("cfg").setReadOnly(true).setMountPath("/etc/cfg").setSubPath(""))
                .setTerminationMessagePath("").setTerminationMessagePolicy("").setImagePullPolicy("IfNotPresent")
                .setStdin(false).setStdinOnce(false).setTty(false)
                .build();
        V1.PodSpec pod = V1.PodSpec.newBuilder().addContainers(c)
                .addVolumes(V1.Volume.newBuilder().setName("cfg").setVolumeSource(V1.VolumeSource.newBuilder()
                        .setConfigMap(V1.ConfigMapVolumeSource.newBuilder()
                                .setLocalObjectReference(V1.LocalObjectReference.newBuilder().setName("cfg"))
                                .setDefaultMode(0644))))
                .setRestartPolicy("").setTerminationGracePeriodSeconds(0).setDnsPolicy("").setServiceAccountName("")
                .setServiceAccount("").setNodeName("").setHostNetwork(false).setHostPID(false).setHostIPC(false)
                .setHostname("").setSubdomain("").setSchedulerName("").setPriorityClassName("")
                .build();
        V1Apps.Deployment d = V1Apps.Deployment.newBuilder()
                .setMetadata(meta("web").setNamespace("demo").putLabels("app", "web"))
                .setSpec(V1Apps.DeploymentSpec.newBuilder().setReplicas(0)
                        .setSelector(Meta.LabelSelector.newBuilder().putMatchLabels("app", "web"))
                        .setTemplate(V1.PodTemplateSpec.newBuilder().setMetadata(meta("").putLabels("app", "web")).setSpec(pod))
                        .setStrategy(V1Apps.DeploymentStrategy.newBuilder().setType("RollingUpdate")
                                .setRollingUpdate(V1Apps.RollingUpdateDeployment.newBuilder()
                                        .setMaxUnavailable(intOrString(0)).setMaxSurge(intOrString("25%"))))
                        .setMinReadySeconds(0).setRevisionHistoryLimit(10).setPaused(false).setProgressDeadlineSeconds(600))
                .setStatus(V1Apps.DeploymentStatus.newBuilder().setObservedGeneration(0).setReplicas(0).setUpdatedReplicas(0)
                        .setReadyReplicas(0).setAvailableReplicas(0).setUnavailableReplicas(0))
                .build();
        assertThat(ProtobufBodies.decode(envelope("apps/v1", "Deployment", d))).isEqualTo(json("""
                {'kind':'Deployment','apiVersion':'apps/v1',
                 'metadata':{'name':'web','namespace':'demo','labels':{'app':'web'}},
                 'spec':{'replicas':0,'selector':{'matchLabels':{'app':'web'}},
                   'template':{'metadata':{'labels':{'app':'web'}},
                     'spec':{
                       'volumes':[{'name':'cfg','configMap':{'name':'cfg','defaultMode':420}}],
                       'containers':[{'name':'nginx','image':'nginx:1.27',
                         'ports':[{'name':'http','containerPort':80,'protocol':'TCP'}],
                         'resources':{'limits':{'cpu':'500m','memory':'128Mi'},'requests':{'cpu':'250m'}},
                         'volumeMounts':[{'name':'cfg','readOnly':true,'mountPath':'/etc/cfg'}],
                         'livenessProbe':{'httpGet':{'path':'/healthz','port':8080,'scheme':'HTTP'},'initialDelaySeconds':3,'timeoutSeconds':1},
                         'readinessProbe':{'tcpSocket':{'port':'http'},'periodSeconds':5},
                         'imagePullPolicy':'IfNotPresent'}],
                       'terminationGracePeriodSeconds':0}},
                   'strategy':{'type':'RollingUpdate','rollingUpdate':{'maxUnavailable':0,'maxSurge':'25%'}},
                   'revisionHistoryLimit':10,'progressDeadlineSeconds':600},
                 'status':{}}"""));
    }

    @Test
    void serviceTargetPortByName() {
        V1.Service svc = V1.Service.newBuilder().setMetadata(meta("web").setNamespace("demo"))
                .setSpec(V1.ServiceSpec.newBuilder()
                        .addPorts(V1.ServicePort.newBuilder().setName("http").setProtocol("TCP").setPort(80)
                                .setTargetPort(intOrString("http")).setNodePort(0))
                        .addPorts(V1.ServicePort.newBuilder().setName("").setProtocol("TCP").setPort(443)
                                .setTargetPort(intOrString(0)).setNodePort(0))
                        .putSelector("app", "web").setClusterIP("").setType("ClusterIP").setSessionAffinity("")
                        .setLoadBalancerIP("").setExternalName("").setExternalTrafficPolicy("").setHealthCheckNodePort(0)
                        .setPublishNotReadyAddresses(false))
                .setStatus(V1.ServiceStatus.newBuilder().setLoadBalancer(V1.LoadBalancerStatus.newBuilder()))
                .build();
        // targetPort is a non-pointer struct: Go writes it even when zero.
        assertThat(ProtobufBodies.decode(envelope("v1", "Service", svc))).isEqualTo(json("""
                {'kind':'Service','apiVersion':'v1','metadata':{'name':'web','namespace':'demo'},
                 'spec':{'ports':[{'name':'http','protocol':'TCP','port':80,'targetPort':'http'},
                                  {'protocol':'TCP','port':443,'targetPort':0}],
                         'selector':{'app':'web'},'type':'ClusterIP'},
                 'status':{'loadBalancer':{}}}"""));
    }

    @Test
    void podTimestampsOwnerReferencesAndManagedFields() {
        long t = 1714566896L; // 2024-05-01T12:34:56Z
        V1.Pod pod = V1.Pod.newBuilder()
                .setMetadata(meta("p").setNamespace("demo").setUid("u-1").setResourceVersion("42").setGeneration(2)
                        .setCreationTimestamp(Meta.Time.newBuilder().setSeconds(t).setNanos(0))
                        .setDeletionTimestamp(Meta.Time.newBuilder().setSeconds(t + 30).setNanos(0))
                        .setDeletionGracePeriodSeconds(30)
                        .addOwnerReferences(Meta.OwnerReference.newBuilder().setApiVersion("apps/v1").setKind("ReplicaSet")
                                .setName("web-1").setUid("u-0").setController(true))
                        .addFinalizers("x/y")
                        .addManagedFields(Meta.ManagedFieldsEntry.newBuilder().setManager("kubectl").setOperation("Update")
                                .setApiVersion("v1").setTime(Meta.Time.newBuilder().setSeconds(t)).setFieldsType("FieldsV1")
                                .setFieldsV1(Meta.FieldsV1.newBuilder().setRaw(ByteString.copyFromUtf8("{\"f:metadata\":{\"f:labels\":{}}}")))
                                .setSubresource("")))
                .setSpec(V1.PodSpec.newBuilder().addContainers(V1.Container.newBuilder().setName("c").setImage("busybox")
                        .addAllCommand(Arrays.asList("sh", "-c", "sleep 1")).setStdin(false)))
                .setStatus(V1.PodStatus.newBuilder().setPhase("Running").setStartTime(Meta.Time.newBuilder().setSeconds(t + 1))
                        .addConditions(V1.PodCondition.newBuilder().setType("Ready").setStatus("True")
                                .setLastProbeTime(Meta.Time.newBuilder()).setLastTransitionTime(Meta.Time.newBuilder().setSeconds(t + 2))))
                .build();
        assertThat(ProtobufBodies.decode(envelope("v1", "Pod", pod))).isEqualTo(json("""
                {'kind':'Pod','apiVersion':'v1',
                 'metadata':{'name':'p','namespace':'demo','uid':'u-1','resourceVersion':'42','generation':2,
                   'creationTimestamp':'2024-05-01T12:34:56Z','deletionTimestamp':'2024-05-01T12:35:26Z',
                   'deletionGracePeriodSeconds':30,
                   'ownerReferences':[{'apiVersion':'apps/v1','kind':'ReplicaSet','name':'web-1','uid':'u-0','controller':true}],
                   'finalizers':['x/y'],
                   'managedFields':[{'manager':'kubectl','operation':'Update','apiVersion':'v1','time':'2024-05-01T12:34:56Z',
                     'fieldsType':'FieldsV1','fieldsV1':{'f:metadata':{'f:labels':{}}}}]},
                 'spec':{'containers':[{'name':'c','image':'busybox','command':['sh','-c','sleep 1']}]},
                 'status':{'phase':'Running','startTime':'2024-05-01T12:34:57Z',
                   'conditions':[{'type':'Ready','status':'True','lastProbeTime':null,'lastTransitionTime':'2024-05-01T12:34:58Z'}]}}"""));
    }

    @Test
    void leaseMicroTime() {
        V1Coordination.Lease lease = V1Coordination.Lease.newBuilder().setMetadata(meta("l").setNamespace("kube-system"))
                .setSpec(V1Coordination.LeaseSpec.newBuilder().setHolderIdentity("m1").setLeaseDurationSeconds(15)
                        .setRenewTime(Meta.MicroTime.newBuilder().setSeconds(1714566896L).setNanos(123456789))
                        .setLeaseTransitions(0))
                .build();
        assertThat(ProtobufBodies.decode(envelope("coordination.k8s.io/v1", "Lease", lease))).isEqualTo(json("""
                {'kind':'Lease','apiVersion':'coordination.k8s.io/v1','metadata':{'name':'l','namespace':'kube-system'},
                 'spec':{'holderIdentity':'m1','leaseDurationSeconds':15,'renewTime':'2024-05-01T12:34:56.123456Z','leaseTransitions':0}}"""));
    }

    @Test
    void controllerRevisionEmbedsRawJson() {
        V1Apps.ControllerRevision cr = V1Apps.ControllerRevision.newBuilder().setMetadata(meta("rev"))
                .setData(Runtime.RawExtension.newBuilder().setRaw(ByteString.copyFromUtf8("{\"spec\":{\"x\":[1,2]}}")))
                .setRevision(3)
                .build();
        assertThat(ProtobufBodies.decode(envelope("apps/v1", "ControllerRevision", cr))).isEqualTo(json("""
                {'kind':'ControllerRevision','apiVersion':'apps/v1','metadata':{'name':'rev'},'data':{'spec':{'x':[1,2]}},'revision':3}"""));
    }

    @Test
    void certificateSigningRequestExtraValuesAreArrays() {
        V1Certificates.CertificateSigningRequest csr = V1Certificates.CertificateSigningRequest.newBuilder().setMetadata(meta("csr"))
                .setSpec(V1Certificates.CertificateSigningRequestSpec.newBuilder()
                        .setRequest(ByteString.copyFromUtf8("PEM")).setSignerName("kubernetes.io/kube-apiserver-client")
                        .addUsages("client auth").setUsername("alice")
                        .putExtra("scopes", V1Certificates.ExtraValue.newBuilder().addItems("a").addItems("b").build()))
                .build();
        assertThat(ProtobufBodies.decode(envelope("certificates.k8s.io/v1", "CertificateSigningRequest", csr))).isEqualTo(json("""
                {'kind':'CertificateSigningRequest','apiVersion':'certificates.k8s.io/v1','metadata':{'name':'csr'},
                 'spec':{'request':'UEVN','signerName':'kubernetes.io/kube-apiserver-client','usages':['client auth'],
                   'username':'alice','extra':{'scopes':['a','b']}}}"""));
    }

    @Test
    void customResourceDefinitionSchemaUsesJsonNames() {
        V1Apiextensions.JSONSchemaProps schema = V1Apiextensions.JSONSchemaProps.newBuilder().setType("object")
                .putProperties("spec", V1Apiextensions.JSONSchemaProps.newBuilder().setType("object")
                        .setXKubernetesPreserveUnknownFields(true).build())
                .putProperties("size", V1Apiextensions.JSONSchemaProps.newBuilder().setType("integer").setMinimum(1)
                        .setDefault(V1Apiextensions.JSON.newBuilder().setRaw(ByteString.copyFromUtf8("3"))).build())
                .setAdditionalProperties(V1Apiextensions.JSONSchemaPropsOrBool.newBuilder().setAllows(false))
                .build();
        V1Apiextensions.CustomResourceDefinition crd = V1Apiextensions.CustomResourceDefinition.newBuilder().setMetadata(meta("w.example.com"))
                .setSpec(V1Apiextensions.CustomResourceDefinitionSpec.newBuilder().setGroup("example.com").setScope("Namespaced")
                        .setNames(V1Apiextensions.CustomResourceDefinitionNames.newBuilder().setPlural("w").setKind("W"))
                        .addVersions(V1Apiextensions.CustomResourceDefinitionVersion.newBuilder().setName("v1").setServed(true)
                                .setStorage(true).setSchema(V1Apiextensions.CustomResourceValidation.newBuilder().setOpenAPIV3Schema(schema))))
                .build();
        JsonNode out = ProtobufBodies.decode(envelope("apiextensions.k8s.io/v1", "CustomResourceDefinition", crd));
        assertThat(out.at("/spec/versions/0/schema/openAPIV3Schema")).isEqualTo(json("""
                {'type':'object','properties':{'spec':{'type':'object','x-kubernetes-preserve-unknown-fields':true},
                 'size':{'type':'integer','minimum':1,'default':3}},'additionalProperties':false}"""));
    }

    @Test
    void deleteOptionsFromAnyGroupVersion() {
        Meta.DeleteOptions opts = Meta.DeleteOptions.newBuilder().setGracePeriodSeconds(0)
                .setPreconditions(Meta.Preconditions.newBuilder().setUid("u-1").setResourceVersion("7"))
                .setPropagationPolicy("Foreground").addDryRun("All")
                .build();
        JsonNode expected = json("""
                {'kind':'DeleteOptions','apiVersion':'v1','gracePeriodSeconds':0,
                 'preconditions':{'uid':'u-1','resourceVersion':'7'},'propagationPolicy':'Foreground','dryRun':['All']}""");
        assertThat(ProtobufBodies.decode(envelope("v1", "DeleteOptions", opts))).isEqualTo(expected);
        assertThat(ProtobufBodies.decode(envelope("meta.k8s.io/v1", "DeleteOptions", opts)).path("gracePeriodSeconds").asLong(-1)).isZero();
        assertThat(ProtobufBodies.decode(envelope("apps/v1", "DeleteOptions", opts)).path("propagationPolicy").asText())
                .isEqualTo("Foreground");
    }

    @Test
    void mediaTypesParseDecodesProtobuf() {
        V1.ServiceAccount sa = V1.ServiceAccount.newBuilder().setMetadata(meta("sa1")).build();
        JsonNode n = MediaTypes.parseObject("application/vnd.kubernetes.protobuf", envelope("v1", "ServiceAccount", sa));
        assertThat(n).isEqualTo(json("{'kind':'ServiceAccount','apiVersion':'v1','metadata':{'name':'sa1'}}"));
    }

    /** Bodies captured from kubectl 1.32 ({@code -v=9}): {@code create namespace demo2}, {@code create deployment web3 --image=nginx:1.27 --port=80 -n demo2}. */
    private static final String KUBECTL_NAMESPACE = "6b3873000a0f0a02763112094e616d657370616365121d0a150a0564656d6f3212001a0022002a00320038004200"
            + "12001a020a001a002200";
    private static final String KUBECTL_DEPLOYMENT = "6b3873000a150a07617070732f7631120a4465706c6f796d656e7412c6010a260a047765623312001a0564656d6f3222002a"
            + "003200380042005a0b0a03617070120477656233128d010801120d0a0b0a036170701204776562331a720a1d0a0012001a00"
            + "22002a003200380042005a0b0a03617070120477656233125112330a056e67696e78120a6e67696e783a312e32372a00320a"
            + "0a001000185022002a0042006a007200800100880100900100a201001a00320042004a0052005800600068008201008a0100"
            + "9a0100c2010022020a00280038001a0c0800100018002000280038001a002200";

    @Test
    void realKubectlBodies() {
        assertThat(ProtobufBodies.decode(HexFormat.of().parseHex(KUBECTL_NAMESPACE)))
                .isEqualTo(json("{'kind':'Namespace','apiVersion':'v1','metadata':{'name':'demo2'},'spec':{},'status':{}}"));
        assertThat(ProtobufBodies.decode(HexFormat.of().parseHex(KUBECTL_DEPLOYMENT))).isEqualTo(json("""
                {'kind':'Deployment','apiVersion':'apps/v1',
                 'metadata':{'name':'web3','namespace':'demo2','labels':{'app':'web3'}},
                 'spec':{'replicas':1,'selector':{'matchLabels':{'app':'web3'}},
                   'template':{'metadata':{'labels':{'app':'web3'}},
                     'spec':{'containers':[{'name':'nginx','image':'nginx:1.27','ports':[{'containerPort':80}],'resources':{}}]}},
                   'strategy':{}},
                 'status':{}}"""));
    }

    @Test
    void deepNestingIsRefusedNotOverflowed() {
        // 20000 nested unknown groups (field 99) inside a Namespace, and 300 nested JSONSchemaProps.
        ByteArrayOutputStream groups = new ByteArrayOutputStream();
        for (int i = 0; i < 20_000; i++) {
            groups.writeBytes(new byte[]{(byte) 0x9b, 0x06});
        }
        Runtime.Unknown u = Runtime.Unknown.newBuilder().setTypeMeta(Runtime.TypeMeta.newBuilder().setApiVersion("v1").setKind("Namespace"))
                .setRaw(ByteString.copyFrom(groups.toByteArray())).build();
        byte[] body = new byte[4 + u.getSerializedSize()];
        System.arraycopy(new byte[]{'k', '8', 's', 0}, 0, body, 0, 4);
        System.arraycopy(u.toByteArray(), 0, body, 4, u.getSerializedSize());
        assertThat(failure(body).code()).isEqualTo(400);

        V1Apiextensions.JSONSchemaProps p = V1Apiextensions.JSONSchemaProps.newBuilder().setType("string").build();
        for (int i = 0; i < 300; i++) {
            p = V1Apiextensions.JSONSchemaProps.newBuilder().setType("object").putProperties("x", p).build();
        }
        V1Apiextensions.CustomResourceDefinition crd = V1Apiextensions.CustomResourceDefinition.newBuilder()
                .setSpec(V1Apiextensions.CustomResourceDefinitionSpec.newBuilder().addVersions(
                        V1Apiextensions.CustomResourceDefinitionVersion.newBuilder().setSchema(
                                V1Apiextensions.CustomResourceValidation.newBuilder().setOpenAPIV3Schema(p)))).build();
        assertThat(failure(envelope("apiextensions.k8s.io/v1", "CustomResourceDefinition", crd)).code()).isEqualTo(400);
    }

    @Test
    void goDurationStrings() {
        assertThat(ProtobufBodies.goDuration(0)).isEqualTo("0s");
        assertThat(ProtobufBodies.goDuration(1)).isEqualTo("1ns");
        assertThat(ProtobufBodies.goDuration(1_500)).isEqualTo("1.5µs");
        assertThat(ProtobufBodies.goDuration(100_000_000)).isEqualTo("100ms");
        assertThat(ProtobufBodies.goDuration(1_500_000_000)).isEqualTo("1.5s");
        assertThat(ProtobufBodies.goDuration(3_661_000_000_000L)).isEqualTo("1h1m1s");
        assertThat(ProtobufBodies.goDuration(3_600_000_000_000L)).isEqualTo("1h0m0s");
        assertThat(ProtobufBodies.goDuration(-2_000_000_000L)).isEqualTo("-2s");
        assertThat(ProtobufBodies.goDuration(Long.MIN_VALUE)).isEqualTo("-2562047h47m16.854775808s");
    }

    private static StatusException failure(byte[] body) {
        return catchThrowableOfType(StatusException.class, () -> ProtobufBodies.decode(body));
    }

    @Test
    void badBodiesAreClientErrors() {
        byte[] good = envelope("v1", "Namespace", V1.Namespace.newBuilder().setMetadata(meta("demo")).build());
        assertThat(failure(new byte[0]).code()).isEqualTo(400);
        assertThat(failure("{\"kind\":\"Namespace\"}".getBytes(StandardCharsets.UTF_8)).code()).isEqualTo(400);
        assertThat(failure(new byte[]{'k', '8', 's'}).code()).isEqualTo(400);
        for (int len = 5; len < good.length; len++) {
            StatusException e = failure(Arrays.copyOf(good, len));
            if (e != null) {
                assertThat(e.code()).as("truncated to %d bytes", len).isEqualTo(400);
            }
        }
        byte[] garbage = Arrays.copyOf(good, good.length + 3);
        garbage[good.length] = (byte) 0xff;
        garbage[good.length + 1] = (byte) 0xff;
        garbage[good.length + 2] = (byte) 0xff;
        assertThat(failure(garbage).code()).isEqualTo(400);
        assertThat(failure(envelope("v1", "NoSuchKind", V1.Namespace.getDefaultInstance())).code()).isEqualTo(415);
        assertThat(failure(envelope("example.com/v1", "Widget", V1.Namespace.getDefaultInstance())).code()).isEqualTo(415);
        assertThat(failure(envelope("v1", "", V1.Namespace.getDefaultInstance())).code()).isEqualTo(400);
        // a Namespace envelope around bytes that are not a Namespace
        Runtime.Unknown u = Runtime.Unknown.newBuilder().setTypeMeta(Runtime.TypeMeta.newBuilder().setApiVersion("v1").setKind("Namespace"))
                .setRaw(ByteString.copyFrom(new byte[]{0x0a, 0x7f, 0x01})).build();
        byte[] wrongRaw = new byte[4 + u.getSerializedSize()];
        System.arraycopy(new byte[]{'k', '8', 's', 0}, 0, wrongRaw, 0, 4);
        System.arraycopy(u.toByteArray(), 0, wrongRaw, 4, u.getSerializedSize());
        assertThat(failure(wrongRaw).code()).isEqualTo(400);
        // an IntOrString of an impossible type
        V1.Service bad = V1.Service.newBuilder().setSpec(V1.ServiceSpec.newBuilder()
                .addPorts(V1.ServicePort.newBuilder().setTargetPort(IntOrString.newBuilder().setType(7)))).build();
        assertThat(failure(envelope("v1", "Service", bad)).code()).isEqualTo(400);
        // invalid embedded JSON
        V1Apps.ControllerRevision cr = V1Apps.ControllerRevision.newBuilder()
                .setData(Runtime.RawExtension.newBuilder().setRaw(ByteString.copyFromUtf8("{nope"))).build();
        assertThat(failure(envelope("apps/v1", "ControllerRevision", cr)).code()).isEqualTo(400);
        assertThatThrownBy(() -> MediaTypes.parse("application/vnd.kubernetes.protobuf", new byte[]{1, 2, 3}))
                .isInstanceOfSatisfying(StatusException.class, e -> assertThat(e.code()).isEqualTo(400));
    }
}
