package io.kuberaft.nodeagent.runtime;

import java.time.Instant;

/**
 * What a running container has used, as cAdvisor reports it to the kubelet: CPU time since it started (a counter,
 * so a rate needs two samples) and the memory working set now.
 *
 * @param at                  when the sample was taken
 * @param cpuCoreNanoSeconds  CPU time used since the container started, in core-nanoseconds
 * @param memoryWorkingSetBytes memory in use that cannot be reclaimed (for processes: their resident set)
 */
public record ContainerUsage(Instant at, long cpuCoreNanoSeconds, long memoryWorkingSetBytes) {
}
