package io.kuberaft.raftstore.raft;

import io.kuberaft.raftstore.ClusterView;
import io.kuberaft.raftstore.StoreEngine;
import io.kuberaft.raftstore.WatchableKvStore;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.proto.RaftProtos.ServerRpcProto;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupManagementRequest;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One control-plane replica's Raft peer: the Ratis server with its {@link KvStateMachine}, the
 * {@link RaftKvStore} the rest of the replica uses, the leader-only store services, and a
 * {@link ClusterView} of the group.
 */
public final class RaftReplica implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RaftReplica.class);
    /** One Raft group per kuberaft cluster. */
    public static final RaftGroupId GROUP_ID = RaftGroupId.valueOf(UUID.nameUUIDFromBytes("kuberaft".getBytes(StandardCharsets.UTF_8)));

    private final ReplicaConfig config;
    private final RaftServer server;
    private final ReconnectingClient client;
    private final RaftKvStore store;
    private final ScheduledExecutorService scheduler;
    private final RaftPeerId peerId;
    /** Handed to every state machine of this replica, so that a {@link #rejoin} does not lose them. */
    private final List<LeadershipListener> leadershipListeners = new CopyOnWriteArrayList<>();
    private final AtomicLong leaderChanges = new AtomicLong();
    /** The state machine of the current division; replaced by {@link #rejoin}. */
    private volatile KvStateMachine stateMachine;
    private volatile boolean closing;
    private final LeaderlessClock leaderless;

    private RaftReplica(ReplicaConfig config) throws IOException {
        this.config = config;
        this.peerId = RaftPeerId.valueOf(config.id());
        Files.createDirectories(config.dataDir());
        RaftProperties props = properties(config);
        this.scheduler = Executors.newScheduledThreadPool(2, r -> {
            Thread t = new Thread(r, "kuberaft-store-" + config.id());
            t.setDaemon(true);
            return t;
        });
        this.client = new ReconnectingClient(leader -> newClient(props, config.peers(), leader));
        // three election timeouts without a leader is no ordinary election any more
        this.leaderless = new LeaderlessClock(() -> division().getInfo().getLeaderId() != null, System::nanoTime,
                config.electionTimeoutMax().multipliedBy(3));
        this.store = new RaftKvStore(client, new LocalRaftServer(this::server, peerId, GROUP_ID), this::stateMachine,
                config.requestTimeout(), scheduler, leaderless, config.electionTimeoutMin());
        leadershipListeners.add(new LeaderServices(store, () -> engine().mvcc(), config, scheduler));
        this.stateMachine = newStateMachine();
        RaftGroup group = config.join() ? RaftGroup.valueOf(GROUP_ID) : RaftGroup.valueOf(GROUP_ID, peers(config.peers()));
        // A registry rather than one state machine: Ratis asks it again when rejoin adds the group back.
        this.server = RaftServer.newBuilder().setServerId(peerId).setGroup(group).setStateMachineRegistry(id -> stateMachine)
                .setProperties(props).setOption(RaftStorage.StartupOption.RECOVER).build();
    }

    private KvStateMachine newStateMachine() {
        KvStateMachine sm = new KvStateMachine(config.dataDir(), leaderChanges);
        sm.onLeaderChange(client::follow);
        leadershipListeners.forEach(sm::addLeadershipListener);
        sm.onDivisionShutdown(() -> onDivisionShutdown(sm));
        return sm;
    }

    /** On Ratis' election thread, which holds the division's lock: the work is done on another thread. */
    private void onDivisionShutdown(KvStateMachine closed) {
        if (!config.join()) {
            LOG.error("replica {}: Ratis shut its Raft division down (removed from the group?); it stays out until restarted",
                    config.id());
            return;
        }
        try {
            scheduler.execute(() -> rejoin(closed));
        } catch (RejectedExecutionException e) {
            LOG.debug("replica {} is closing: not adding its Raft group back", config.id());
        }
    }

    /**
     * A joining replica can be shut down by Ratis before it is a member: once the leader counts it as
     * caught up, its heartbeats start the joiner's election timer, and if the timer fires before the
     * configuration entry that adds it has arrived, the election finds the joiner outside its own
     * configuration (or a voter answers shouldShutdown) and Ratis closes the division for good, while the
     * process runs on without a group (chaos seed 1795421100: "replica m2 has no leader after 60 s").
     * Adding the group back, empty as at start and over the same data, makes it wait for the leader again,
     * which goes on sending it the configuration. Its watches were cancelled when Ratis closed the old
     * state machine; clients watch again, as after a snapshot install.
     */
    private synchronized void rejoin(KvStateMachine closed) {
        if (closing || closed != stateMachine) {
            return;
        }
        LOG.warn("replica {}: adding its Raft group back to wait for the leader again", config.id());
        stateMachine = newStateMachine();
        try {
            RaftClientReply removed = server.groupManagement(GroupManagementRequest.newRemove(ClientId.randomId(), peerId, 0,
                    GROUP_ID, false, false));
            if (!removed.isSuccess()) {
                LOG.warn("replica {}: removing the closed Raft division: {}", config.id(), removed.getException());
            }
            RaftClientReply added = server.groupManagement(GroupManagementRequest.newAdd(ClientId.randomId(), peerId, 0,
                    RaftGroup.valueOf(GROUP_ID), false));
            if (!added.isSuccess()) {
                LOG.error("replica {}: adding its Raft group back failed: {}", config.id(), added.getException());
            }
        } catch (IOException e) {
            LOG.error("replica {}: adding its Raft group back failed: {}", config.id(), e.toString());
        }
    }

    /** Starts the replica; it joins elections at once (or waits to be added, when joining). */
    public static RaftReplica start(ReplicaConfig config) throws IOException {
        RaftReplica r = new RaftReplica(config);
        r.server.start();
        r.scheduler.scheduleWithFixedDelay(r.leaderless::sample, 0, 200, TimeUnit.MILLISECONDS);
        LOG.info("replica {} started on {} (peers {})", config.id(), config.address(), config.peers());
        return r;
    }

    private static boolean isLoopback(String host) {
        return host.equals("localhost") || host.startsWith("127.") || host.equals("::1") || host.equals("[::1]");
    }

    static RaftProperties properties(ReplicaConfig c) {
        RaftProperties p = new RaftProperties();
        GrpcConfigKeys.Server.setPort(p, ReplicaConfig.portOf(c.address()));
        String host = c.address().substring(0, c.address().lastIndexOf(':'));
        if (isLoopback(host)) {
            // A local cluster (`up`, tests) must not listen on every interface, Ratis' default. Other addresses may be
            // names of a container or an interface behind NAT: those keep the wildcard, as etcd's listen-peer-urls would.
            GrpcConfigKeys.Server.setHost(p, host);
        }
        RaftServerConfigKeys.setStorageDir(p, List.of(c.dataDir().resolve("raft").toFile()));
        RaftServerConfigKeys.Rpc.setTimeoutMin(p, TimeDuration.valueOf(c.electionTimeoutMin().toMillis(), TimeUnit.MILLISECONDS));
        RaftServerConfigKeys.Rpc.setTimeoutMax(p, TimeDuration.valueOf(c.electionTimeoutMax().toMillis(), TimeUnit.MILLISECONDS));
        // Linearizable reads by ReadIndex: not Ratis' default (reference-numbers.md).
        RaftServerConfigKeys.Read.setOption(p, RaftServerConfigKeys.Read.Option.LINEARIZABLE);
        // With the leader lease, the leader answers a ReadIndex at once only while a majority answered heartbeats sent
        // within 0.9 × the minimum election timeout (no other leader can exist yet), else after a new heartbeat round.
        // Without it, Ratis 3.3 skips that round whenever an earlier one confirmed the same commit index, so a leader
        // cut off from its majority served stale reads until it stepped down (RaftClusterTest shows both).
        RaftServerConfigKeys.Read.setLeaderLeaseEnabled(p, true);
        RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(p, true);
        RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(p, c.snapshotThreshold());
        RaftServerConfigKeys.Snapshot.setRetentionFileNum(p, 2);
        // Purge the log once a snapshot covers it: a follower behind the purge installs the checkpoint.
        RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(p, true);
        RaftServerConfigKeys.Log.setPurgeGap(p, (int) Math.max(1, Math.min(1024, c.snapshotThreshold())));
        // Commands are at most 1.5 MiB; the gRPC message limit must exceed the appender buffer by 1 MB (RATIS-2135).
        RaftServerConfigKeys.Log.Appender.setBufferByteLimit(p, SizeInBytes.valueOf("4MB"));
        GrpcConfigKeys.setMessageSizeMax(p, SizeInBytes.valueOf("8MB"));
        RaftServerConfigKeys.Log.setSegmentSizeMax(p, SizeInBytes.valueOf(c.logSegmentBytes()));
        RaftClientConfigKeys.Rpc.setRequestTimeout(p, TimeDuration.valueOf(Math.min(3000, c.requestTimeout().toMillis()), TimeUnit.MILLISECONDS));
        return p;
    }

    static List<RaftPeer> peers(Map<String, String> peers) {
        List<RaftPeer> out = new ArrayList<>();
        peers.forEach((id, addr) -> out.add(RaftPeer.newBuilder().setId(id).setAddress(addr).build()));
        return out;
    }

    private static RaftClient newClient(RaftProperties props, Map<String, String> peers, RaftPeerId leader) {
        RaftGroup group = RaftGroup.valueOf(GROUP_ID, peers(peers));
        boolean known = leader != null && group.getPeer(leader) != null;
        return RaftClient.newBuilder().setProperties(props).setClientId(ClientId.randomId())
                .setRaftGroup(group).setLeaderId(known ? leader : null)
                .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(10, TimeDuration.valueOf(100, TimeUnit.MILLISECONDS)))
                .build();
    }

    public WatchableKvStore store() {
        return store;
    }

    public RaftKvStore raftStore() {
        return store;
    }

    public String id() {
        return config.id();
    }

    public ReplicaConfig config() {
        return config;
    }

    public StoreEngine engine() {
        return stateMachine.engine();
    }

    public KvStateMachine stateMachine() {
        return stateMachine;
    }

    public synchronized void addLeadershipListener(LeadershipListener l) {
        leadershipListeners.add(l);
        stateMachine.addLeadershipListener(l);
    }

    /** Null while the constructor runs: nothing reaches the server before {@link #start}. */
    private RaftServer server() {
        return server;
    }

    private RaftServer.Division division() {
        try {
            return server.getDivision(GROUP_ID);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public boolean isLeader() {
        return division().getInfo().isLeader();
    }

    /** Replaces the voting members (Ratis setConfiguration); the new ones must be running with --join. */
    public void setMembers(Map<String, String> members) throws IOException {
        RaftClientReply reply = client.get().admin().setConfiguration(peers(members));
        if (!reply.isSuccess()) {
            throw new IOException("membership change refused: " + reply.getException());
        }
    }

    /** Asks this replica to step down (tests, rolling restarts). */
    public void transferLeadership(String toId, long timeoutMs) throws IOException {
        client.get().admin().transferLeadership(RaftPeerId.valueOf(toId), timeoutMs);
    }

    /** The leader this replica's Raft client sends its next request to. */
    RaftPeerId clientLeader() {
        return client.get().getLeaderId();
    }

    public ClusterView clusterView() {
        return new RaftClusterView();
    }

    private final class RaftClusterView implements ClusterView {
        @Override
        public long clusterId() {
            return ClusterView.memberIdOf(GROUP_ID.getUuid().toString());
        }

        @Override
        public long memberId() {
            return ClusterView.memberIdOf(config.id());
        }

        @Override
        public String replicaId() {
            return config.id();
        }

        @Override
        public long term() {
            return division().getInfo().getCurrentTerm();
        }

        @Override
        public long leaderId() {
            RaftPeerId leader = division().getInfo().getLeaderId();
            return leader == null ? 0 : ClusterView.memberIdOf(leader.toString());
        }

        @Override
        public String role() {
            RaftPeerRole r = division().getInfo().getCurrentRole();
            return r == null ? "UNKNOWN" : r.name();
        }

        @Override
        public long commitIndex() {
            return division().getRaftLog().getLastCommittedIndex();
        }

        @Override
        public long appliedIndex() {
            return division().getInfo().getLastAppliedIndex();
        }

        @Override
        public List<Member> members() {
            List<Member> out = new ArrayList<>();
            for (RaftPeer p : division().getRaftConf().getCurrentPeers()) {
                out.add(new Member(ClusterView.memberIdOf(p.getId().toString()), p.getId().toString(),
                        "http://" + p.getAddress(), ""));
            }
            return out;
        }

        @Override
        public Map<String, Long> lastContactMillis() {
            Map<String, Long> out = new HashMap<>();
            out.put(config.id(), 0L);
            RoleInfoProto role = division().getInfo().getRoleInfoProto();
            if (role.hasLeaderInfo()) {
                for (ServerRpcProto f : role.getLeaderInfo().getFollowerInfoList()) {
                    out.put(f.getId().getId().toStringUtf8(), f.getLastRpcElapsedTimeMs());
                }
            } else if (role.hasFollowerInfo() && role.getFollowerInfo().hasLeaderInfo()) {
                ServerRpcProto l = role.getFollowerInfo().getLeaderInfo();
                out.put(l.getId().getId().toStringUtf8(), l.getLastRpcElapsedTimeMs());
                // A follower hears only from its leader: the leader's own view says when it last heard from the others
                // (`kubectl get cs` through the load balancer then answers alike on every replica).
                try {
                    RoleInfoProto leaders = client.get().getGroupManagementApi(RaftPeerId.valueOf(l.getId().getId()))
                            .info(GROUP_ID).getRoleInfoProto();
                    for (ServerRpcProto f : leaders.getLeaderInfo().getFollowerInfoList()) {
                        out.putIfAbsent(f.getId().getId().toStringUtf8(), f.getLastRpcElapsedTimeMs());
                    }
                } catch (IOException | RuntimeException e) {
                    LOG.debug("event=leader-group-info-failed error={}", e.toString());
                }
            }
            return out;
        }
    }

    @Override
    public void close() {
        closing = true;
        scheduler.shutdownNow();
        client.close();
        try {
            server.close();
        } catch (IOException e) {
            LOG.warn("closing the Raft server: {}", e.toString());
        }
    }
}
