package io.kuberaft.controllers.runtime;

import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;

/**
 * Puts the leadership term on every request of a term's client (ARCHITECTURE.md decision 5): the
 * API server fences the writes with it, so a deposed leader's late writes are refused by the state
 * machine instead of landing.
 */
public final class FenceInterceptor implements Interceptor {
    /** The API server's header (api-gateway's ResourceStore.FENCE_HEADER). */
    public static final String HEADER = "X-Kuberaft-Fence-Term";
    private final String term;

    public FenceInterceptor(long term) {
        this.term = Long.toString(term);
    }

    @Override
    public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
        builder.setHeader(HEADER, term);
    }
}
