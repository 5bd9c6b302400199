package io.kuberaft.apiserver.openapi;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the {@code io.kubernetes.client.openapi.models} class of a built-in kind and names every model
 * class the way upstream's OpenAPI does ({@code io.k8s.api.core.v1.PodSpec}).
 *
 * <p>The model classes all live in one Java package, so their API group is not in their name unless two
 * groups define the same kind ({@code CoreV1Event}, {@code EventsV1Event}). It is recovered as follows:
 * a group prefix in the class name wins; apimachinery's meta/v1 types are a fixed list; a top-level kind
 * takes the group it is served under; any other type takes the group of the first kind that reaches it,
 * walking core/v1 kinds first (so {@code PodTemplateSpec}, reached from {@code PodTemplate} and from
 * {@code Deployment}, is core).
 */
final class ModelCatalog {
    static final String MODELS = "io.kubernetes.client.openapi.models.";
    static final String APIS = "io.kubernetes.client.openapi.apis.";
    static final String META_GROUP = "meta";

    /** {@code CoreV1Event} → (Core, V1, Event); {@code V1beta1Foo} → (null, V1beta1, Foo). */
    private static final Pattern CLASS_NAME = Pattern.compile("^([A-Z][a-z]+)?(V\\d+(?:(?:alpha|beta)\\d+)?)([A-Z].*)$");

    /** apimachinery/pkg/apis/meta/v1 types as client-java names them. */
    private static final Set<String> META_TYPES = Set.of("V1ObjectMeta", "V1ListMeta", "V1LabelSelector",
            "V1LabelSelectorRequirement", "V1OwnerReference", "V1ManagedFieldsEntry", "V1Status", "V1StatusDetails",
            "V1StatusCause", "V1DeleteOptions", "V1Preconditions", "V1Condition", "V1APIResource", "V1APIResourceList",
            "V1APIGroup", "V1APIGroupList", "V1APIVersions", "V1GroupVersionForDiscovery", "V1ServerAddressByClientCIDR",
            "V1WatchEvent", "V1FieldSelectorRequirement");

    /** Types only reachable from another group's kinds but defined elsewhere upstream. */
    private static final Map<String, String> GROUP_OVERRIDES = Map.of(
            "V1TopologySelectorTerm", "",
            "V1TopologySelectorLabelRequirement", "",
            "V1Scale", "autoscaling",
            "V1ScaleSpec", "autoscaling",
            "V1ScaleStatus", "autoscaling",
            "V1Eviction", "policy",
            "V1Binding", "");

    /** Java fields typed {@code Object} that upstream gives a named definition (class.jsonField → definition). */
    private static final Map<String, String> OBJECT_FIELDS = Map.ofEntries(
            Map.entry("V1ManagedFieldsEntry.fieldsV1", Specials.FIELDS_V1),
            Map.entry("V1ControllerRevision.data", Specials.RAW_EXTENSION),
            Map.entry("V1WatchEvent.object", Specials.RAW_EXTENSION),
            Map.entry("V1JSONSchemaProps.default", Specials.JSON),
            Map.entry("V1JSONSchemaProps.example", Specials.JSON),
            Map.entry("V1JSONSchemaProps.enum", Specials.JSON),
            Map.entry("V1JSONSchemaProps.additionalProperties", Specials.JSON_PROPS_OR_BOOL),
            Map.entry("V1JSONSchemaProps.additionalItems", Specials.JSON_PROPS_OR_BOOL),
            Map.entry("V1JSONSchemaProps.items", Specials.JSON_PROPS_OR_ARRAY),
            Map.entry("V1JSONSchemaProps.dependencies", Specials.JSON_PROPS_OR_STRING_ARRAY),
            Map.entry("V1CustomResourceSubresources.status", Specials.SUBRESOURCE_STATUS));

    /** {@code OffsetDateTime} fields that are MicroTime upstream (the rest are Time). */
    private static final Set<String> MICRO_TIME_FIELDS = Set.of("CoreV1Event.eventTime", "EventsV1Event.eventTime",
            "CoreV1EventSeries.lastObservedTime", "EventsV1EventSeries.lastObservedTime", "V1LeaseSpec.acquireTime",
            "V1LeaseSpec.renewTime");

    private final Map<Class<?>, String> groups = new HashMap<>();

    /** @param roots top-level classes with the group they are served under, in walking order */
    ModelCatalog(Collection<Map.Entry<Class<?>, String>> roots) {
        // core/v1 kinds first, each root's whole closure before the next root's: whatever core reaches is core
        List<Map.Entry<Class<?>, String>> ordered = roots.stream()
                .sorted((a, b) -> Boolean.compare(!a.getValue().isEmpty(), !b.getValue().isEmpty())).toList();
        for (Map.Entry<Class<?>, String> r : ordered) {
            if (groups.containsKey(r.getKey())) {
                continue;
            }
            String fixed = fixedGroup(r.getKey());
            groups.put(r.getKey(), fixed != null ? fixed : r.getValue());
            Deque<Class<?>> queue = new ArrayDeque<>(List.of(r.getKey()));
            while (!queue.isEmpty()) {
                Class<?> c = queue.poll();
                String g = groups.get(c);
                for (Class<?> ref : referencedModels(c)) {
                    if (!groups.containsKey(ref)) {
                        String f = fixedGroup(ref);
                        groups.put(ref, f != null ? f : g);
                        queue.add(ref);
                    }
                }
            }
        }
    }

    /** The model class of a built-in kind, checked against client-java's API class for that group/version. */
    static Optional<Class<?>> kindClass(String group, String version, String kind) {
        String ver = capitalize(version);
        String api = APIS + apiPrefix(group) + ver + "Api";
        if (load(api + "$APIread" + kind + "Request").isEmpty() && load(api + "$APIreadNamespaced" + kind + "Request").isEmpty()
                && load(api + "$APIlist" + kind + "Request").isEmpty() && load(api + "$APIlistNamespaced" + kind + "Request").isEmpty()) {
            return Optional.empty();
        }
        Optional<Class<?>> prefixed = load(MODELS + groupPrefix(group) + ver + kind);
        return prefixed.isPresent() ? prefixed : load(MODELS + ver + kind);
    }

    /** The list class of a kind class ({@code V1Pod} → {@code V1PodList}). */
    static Optional<Class<?>> listClass(Class<?> kindClass) {
        return load(kindClass.getName() + "List");
    }

    static boolean isModel(Class<?> c) {
        return c.getName().startsWith(MODELS) && !c.isEnum() && !c.getSimpleName().startsWith("Abstract")
                && c.getEnclosingClass() == null;
    }

    /** Upstream definition name of a model class. */
    String definitionName(Class<?> c) {
        Matcher m = CLASS_NAME.matcher(c.getSimpleName());
        if (!m.matches()) {
            return "io.kuberaft.models." + c.getSimpleName();
        }
        String version = m.group(2).toLowerCase(Locale.ROOT);
        String kind = m.group(3);
        String group = groups.get(c);
        if (group == null) {
            group = Optional.ofNullable(fixedGroup(c)).orElse("");
        }
        return packageOf(group) + "." + version + "." + kind;
    }

    /** {@code io.k8s.api.apps}, {@code io.k8s.apimachinery.pkg.apis.meta}, … for an API group. */
    static String packageOf(String group) {
        if (group.equals(META_GROUP)) {
            return "io.k8s.apimachinery.pkg.apis.meta";
        }
        String seg = group.isEmpty() ? "core" : group.split("\\.")[0];
        return switch (seg) {
            case "apiextensions" -> "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions";
            case "apiregistration" -> "io.k8s.kube-aggregator.pkg.apis.apiregistration";
            default -> "io.k8s.api." + seg;
        };
    }

    /** Definition name of a kind served without a model class (custom resources): reversed group, as upstream. */
    static String customDefinitionName(String group, String version, String kind) {
        List<String> parts = new java.util.ArrayList<>(List.of(group.split("\\.")));
        java.util.Collections.reverse(parts);
        return String.join(".", parts) + "." + version + "." + kind;
    }

    /** The named special definition for a Java {@code Object} field, or null (then it is arbitrary JSON). */
    static String objectFieldDefinition(Class<?> owner, String jsonName) {
        return OBJECT_FIELDS.get(owner.getSimpleName() + "." + jsonName);
    }

    static boolean isMicroTime(Class<?> owner, String jsonName) {
        return MICRO_TIME_FIELDS.contains(owner.getSimpleName() + "." + jsonName);
    }

    /** The group implied by the class name alone, or null. */
    private static String fixedGroup(Class<?> c) {
        String name = c.getSimpleName();
        if (META_TYPES.contains(name)) {
            return META_GROUP;
        }
        String o = GROUP_OVERRIDES.get(name);
        if (o != null) {
            return o;
        }
        Matcher m = CLASS_NAME.matcher(name);
        if (m.matches() && m.group(1) != null) {
            String p = m.group(1).toLowerCase(Locale.ROOT);
            return p.equals("core") ? "" : p;
        }
        return null;
    }

    /** Model classes a class's instance fields refer to (through lists and maps too). */
    static Set<Class<?>> referencedModels(Class<?> c) {
        Set<Class<?>> out = new LinkedHashSet<>();
        for (Field f : instanceFields(c)) {
            collect(f.getGenericType(), out);
        }
        return out;
    }

    static List<Field> instanceFields(Class<?> c) {
        return java.util.Arrays.stream(c.getDeclaredFields()).filter(f -> !Modifier.isStatic(f.getModifiers())).toList();
    }

    private static void collect(Type t, Set<Class<?>> out) {
        if (t instanceof ParameterizedType p) {
            for (Type a : p.getActualTypeArguments()) {
                collect(a, out);
            }
        } else if (t instanceof Class<?> k && isModel(k)) {
            out.add(k);
        }
    }

    /** "" → Core, "events.k8s.io" → Events: the prefix client-java puts on colliding class names. */
    static String groupPrefix(String group) {
        return group.isEmpty() ? "Core" : capitalize(group.split("\\.")[0]);
    }

    /** "" → Core, "rbac.authorization.k8s.io" → RbacAuthorization: client-java's API class prefix. */
    static String apiPrefix(String group) {
        if (group.isEmpty()) {
            return "Core";
        }
        String g = group.endsWith(".k8s.io") ? group.substring(0, group.length() - ".k8s.io".length()) : group;
        StringBuilder sb = new StringBuilder();
        for (String s : g.split("[.-]")) {
            sb.append(capitalize(s));
        }
        return sb.toString();
    }

    static String capitalize(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }

    static Optional<Class<?>> load(String name) {
        try {
            return Optional.of(Class.forName(name, false, ModelCatalog.class.getClassLoader()));
        } catch (ClassNotFoundException | LinkageError e) {
            return Optional.empty();
        }
    }

    /** Names of the definitions that are not model classes. */
    static final class Specials {
        static final String TIME = "io.k8s.apimachinery.pkg.apis.meta.v1.Time";
        static final String MICRO_TIME = "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime";
        static final String INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString";
        static final String QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity";
        static final String FIELDS_V1 = "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1";
        static final String RAW_EXTENSION = "io.k8s.apimachinery.pkg.runtime.RawExtension";
        static final String PATCH = "io.k8s.apimachinery.pkg.apis.meta.v1.Patch";
        static final String JSON = "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON";
        static final String JSON_PROPS_OR_BOOL = "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrBool";
        static final String JSON_PROPS_OR_ARRAY = "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrArray";
        static final String JSON_PROPS_OR_STRING_ARRAY = "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrStringArray";
        static final String SUBRESOURCE_STATUS = "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceSubresourceStatus";

        private Specials() {
        }
    }
}
