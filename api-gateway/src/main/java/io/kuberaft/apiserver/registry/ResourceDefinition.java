package io.kuberaft.apiserver.registry;

import io.kuberaft.apiserver.table.TableConvertor;

import java.util.List;
import java.util.Set;

/**
 * Everything the server knows of one resource: its names and scope for discovery, the verbs it
 * allows, its subresources, its strategy and its table columns. Routes, discovery and OpenAPI are built
 * from these, never from instanceof.
 *
 * @param group         "" for the core group
 * @param custom        what a custom resource has beyond a built-in kind (its schema); null for built-in kinds
 * @param conversion    between this version and the form the resource is stored in
 */
public record ResourceDefinition(String group, String version, String plural, String singular, String kind,
                                 boolean namespaced, List<String> shortNames, List<String> categories,
                                 Set<String> verbs, List<String> subresources, ResourceStrategy strategy,
                                 TableConvertor table, CustomResource custom, VersionConversion conversion) {

    /** Stored as sent ({@link VersionConversion#NONE}). */
    public ResourceDefinition(String group, String version, String plural, String singular, String kind,
                              boolean namespaced, List<String> shortNames, List<String> categories,
                              Set<String> verbs, List<String> subresources, ResourceStrategy strategy,
                              TableConvertor table, CustomResource custom) {
        this(group, version, plural, singular, kind, namespaced, shortNames, categories, verbs, subresources, strategy,
                table, custom, VersionConversion.NONE);
    }

    /** A built-in kind. */
    public ResourceDefinition(String group, String version, String plural, String singular, String kind,
                              boolean namespaced, List<String> shortNames, List<String> categories,
                              Set<String> verbs, List<String> subresources, ResourceStrategy strategy, TableConvertor table) {
        this(group, version, plural, singular, kind, namespaced, shortNames, categories, verbs, subresources, strategy, table, null);
    }

    public static final Set<String> ALL_VERBS = Set.of("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch");

    public String apiVersion() {
        return group.isEmpty() ? version : group + "/" + version;
    }

    public String storageName() {
        return group.isEmpty() ? plural : plural + "." + group;
    }

    /** "pods", "deployments.apps": how upstream names the resource in messages. */
    public String qualifiedName() {
        return storageName();
    }

    public boolean hasSubresource(String s) {
        return subresources.contains(s);
    }

    public boolean isCustom() {
        return custom != null;
    }

    public boolean allows(String verb) {
        return verbs.contains(verb);
    }

    public ResourceDefinition withTable(TableConvertor t) {
        return new ResourceDefinition(group, version, plural, singular, kind, namespaced, shortNames, categories, verbs,
                subresources, strategy, t, custom, conversion);
    }

    public ResourceDefinition withConversion(VersionConversion c) {
        return new ResourceDefinition(group, version, plural, singular, kind, namespaced, shortNames, categories, verbs,
                subresources, strategy, table, custom, c);
    }
}
