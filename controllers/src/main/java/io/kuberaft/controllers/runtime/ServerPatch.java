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
 * A PATCH sent as it is, as client-go's {@code Patch} sends it. fabric8's {@code patch(PatchContext, String)} first GETs
 * the object (to make sure it exists), which costs the API server a read for every status write of every controller
 * and node agent (half of the requests of an unschedulable pod); the PATCH is answered 404 for a missing object anyway.
 */
public final class ServerPatch {
    private ServerPatch() {
    }

    /**
     * Sends {@code body} as a {@code type} patch to what {@code resource} names (a fabric8 resource, e.g.
     * {@code client.pods().inNamespace(ns).withName(n).subresource("status")}, whose URL it uses).
     *
     * @return the object the API server answered with, as {@code as}; null when {@code as} is null
     * @throws KubernetesClientException with the API server's Status when it refused the patch
     */
    public static <T> T send(KubernetesClient client, Object resource, PatchType type, String body, Class<T> as) {
        HttpRequest request;
        try {
            request = client.getHttpClient().newHttpRequestBuilder().url(((OperationSupport) resource).getResourceUrl())
                    .method("PATCH", type.getContentType(), body)
                    .timeout(client.getConfiguration().getRequestTimeout(), TimeUnit.MILLISECONDS).build();
        } catch (MalformedURLException e) {
            throw new KubernetesClientException("no URL for the patch: " + e.getMessage(), e);
        }
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
