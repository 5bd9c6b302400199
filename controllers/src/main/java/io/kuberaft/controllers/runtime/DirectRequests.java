package io.kuberaft.controllers.runtime;

import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.dsl.internal.OperationSupport;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.fabric8.kubernetes.client.utils.Serialization;

import java.net.MalformedURLException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Requests sent as client-go sends them, where fabric8 sends more or cannot say what is meant. fabric8's
 * {@code patch(PatchContext, String)} first GETs the object (to make sure it exists), which costs the API server a read
 * for every status write of every controller and node agent (half of the requests of an unschedulable pod), while the
 * PATCH is answered 404 for a missing object anyway; and its {@code get()} cannot ask for {@code resourceVersion=0}, the
 * "any version will do" read the kubelet makes of its Node every 10 s, which the API server answers from a replica's own
 * state. Both go through the client's own HTTP client, so its authentication, retries and fencing apply.
 */
public final class DirectRequests {
    private DirectRequests() {
    }

    /**
     * Sends {@code body} as a {@code type} patch to what {@code resource} names (a fabric8 resource, e.g.
     * {@code client.pods().inNamespace(ns).withName(n).subresource("status")}, whose URL it uses).
     *
     * @return the object the API server answered with, as {@code as}; null when {@code as} is null
     * @throws KubernetesClientException with the API server's Status when it refused the patch
     */
    public static <T> T patch(KubernetesClient client, Object resource, PatchType type, String body, Class<T> as) {
        return send(client, client.getHttpClient().newHttpRequestBuilder().url(url(resource, ""))
                .method("PATCH", type.getContentType(), body), as);
    }

    /**
     * GETs what {@code resource} names with {@code resourceVersion=0}: any version the replica has (upstream: the watch
     * cache's), without a quorum round.
     *
     * @return the object, as {@code as}
     * @throws KubernetesClientException 404 when there is none, or with the API server's Status
     */
    public static <T> T getAnyVersion(KubernetesClient client, Object resource, Class<T> as) {
        return send(client, client.getHttpClient().newHttpRequestBuilder().url(url(resource, "?resourceVersion=0")), as);
    }

    private static java.net.URL url(Object resource, String query) {
        try {
            return new java.net.URL(((OperationSupport) resource).getResourceUrl() + query);
        } catch (MalformedURLException e) {
            throw new KubernetesClientException("no URL for " + resource + ": " + e.getMessage(), e);
        }
    }

    private static <T> T send(KubernetesClient client, HttpRequest.Builder builder, Class<T> as) {
        HttpRequest request = builder.timeout(client.getConfiguration().getRequestTimeout(), TimeUnit.MILLISECONDS).build();
        HttpResponse<String> response;
        try {
            response = client.getHttpClient().sendAsync(request, String.class).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw KubernetesClientException.launderThrowable(e);
        } catch (ExecutionException e) {
            throw KubernetesClientException.launderThrowable(e.getCause());
        }
        if (!response.isSuccessful()) {
            Status status;
            try {
                status = Serialization.unmarshal(response.body(), Status.class);
            } catch (RuntimeException e) {
                status = null;
            }
            if (status == null || status.getCode() == null) {
                status = new io.fabric8.kubernetes.api.model.StatusBuilder().withCode(response.code()).withMessage(response.body()).build();
            }
            throw new KubernetesClientException(status);
        }
        return as == null ? null : Serialization.unmarshal(response.body(), as);
    }
}
