package io.kuberaft.apiserver.openapi;

import io.kuberaft.apiserver.http.Reply;
import io.kuberaft.apiserver.registry.ResourceRegistry;

/** /openapi/v2 and /openapi/v3 (index and per group-version), generated from the registry's kinds. */
public final class OpenApi {
    private final ResourceRegistry registry;

    public OpenApi(ResourceRegistry registry) {
        this.registry = registry;
    }

    /** The reply for an /openapi/... path, or null when the path is not one of them. */
    public Reply handle(String path, String accept) {
        return null;
    }
}
