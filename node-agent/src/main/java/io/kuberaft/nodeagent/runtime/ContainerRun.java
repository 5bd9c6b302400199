package io.kuberaft.nodeagent.runtime;

import java.time.Instant;

/** What every runtime knows of one container run: its identity, its pod and when it started. */
abstract class ContainerRun implements RuntimeContainer {
    final String containerId;
    final String name;
    final String image;
    final Instant startedAt;
    final String podUid;

    ContainerRun(String containerId, String name, String image, Instant startedAt, String podUid) {
        this.containerId = containerId;
        this.name = name;
        this.image = image;
        this.startedAt = startedAt;
        this.podUid = podUid;
    }

    @Override
    public String containerId() {
        return containerId;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String image() {
        return image;
    }

    @Override
    public Instant startedAt() {
        return startedAt;
    }
}
