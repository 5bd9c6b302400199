package io.kuberaft.raftstore.raft;

import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * This replica's own Raft server, reached in-process as Ozone's SCM HA reaches its own (a request
 * submitted to the server object) rather than through a Ratis client over gRPC on loopback: every
 * linearizable read starts here (a follower's server asks the leader for the ReadIndex itself), and
 * so do writes while this replica leads. Each request saved is a protobuf round trip through two
 * Netty stacks and their executor hand-offs on machines where CPU is the limit.
 */
final class LocalRaftServer {
    private final Supplier<RaftServer> server;
    private final RaftPeerId peer;
    private final RaftGroupId group;
    private final ClientId clientId = ClientId.randomId();
    private final AtomicLong callIds = new AtomicLong();

    LocalRaftServer(Supplier<RaftServer> server, RaftPeerId peer, RaftGroupId group) {
        this.server = server;
        this.peer = peer;
        this.group = group;
    }

    /** False as well while the division is not there (starting, rejoining): the caller then uses its Ratis client. */
    boolean isLeader() {
        try {
            RaftServer s = server.get();
            return s != null && s.getDivision(group).getInfo().isLeader();
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * True when this replica leads and answers from a majority (itself included) arrived within {@code withinMs}: no
     * other leader can have been elected meanwhile (followers wait an election timeout after a leader's message).
     */
    boolean leaderHeardFromMajorityWithin(long withinMs) {
        try {
            RaftServer s = server.get();
            if (s == null) {
                return false;
            }
            var division = s.getDivision(group);
            var role = division.getInfo().getRoleInfoProto();
            if (!role.hasLeaderInfo()) {
                return false;
            }
            int peers = division.getRaftConf().getCurrentPeers().size();
            long recent = 1 + role.getLeaderInfo().getFollowerInfoList().stream()
                    .filter(f -> f.getLastRpcElapsedTimeMs() <= withinMs).count();
            return recent > peers / 2;
        } catch (IOException e) {
            return false;
        }
    }

    CompletableFuture<RaftClientReply> write(Message m) {
        return submit(m, RaftClientRequest.writeRequestType());
    }

    /** Linearizable: the server's read option is LINEARIZABLE (RaftReplica#properties). */
    CompletableFuture<RaftClientReply> read(Message m) {
        return submit(m, RaftClientRequest.readRequestType());
    }

    private CompletableFuture<RaftClientReply> submit(Message m, RaftClientRequest.Type type) {
        RaftServer s = server.get();
        if (s == null) {
            return CompletableFuture.failedFuture(new IOException("kuberaft: the replica's Raft server is not built yet"));
        }
        RaftClientRequest request = RaftClientRequest.newBuilder().setClientId(clientId).setServerId(peer).setGroupId(group)
                .setCallId(callIds.incrementAndGet()).setMessage(m).setType(type).build();
        try {
            return s.submitClientRequestAsync(request);
        } catch (IOException e) {
            return CompletableFuture.failedFuture(e);
        }
    }
}
