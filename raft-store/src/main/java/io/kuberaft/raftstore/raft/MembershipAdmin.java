package io.kuberaft.raftstore.raft;

import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.util.TimeDuration;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Changes the voting members of a running cluster from outside it (`kuberaft member add|remove`). */
public final class MembershipAdmin {
    private MembershipAdmin() {
    }

    /**
     * Replaces the membership with {@code newMembers} (Ratis setConfiguration, joint consensus).
     * A new member must already be running with {@code --join}.
     *
     * @param contact any current members (id → host:raftPort), to find the leader through
     */
    public static void setMembers(Map<String, String> contact, Map<String, String> newMembers) throws IOException {
        RaftProperties p = new RaftProperties();
        RaftClientConfigKeys.Rpc.setRequestTimeout(p, TimeDuration.valueOf(10, TimeUnit.SECONDS));
        try (RaftClient c = RaftClient.newBuilder().setProperties(p)
                .setRaftGroup(RaftGroup.valueOf(RaftReplica.GROUP_ID, RaftReplica.peers(contact)))
                .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(50, TimeDuration.valueOf(200, TimeUnit.MILLISECONDS)))
                .build()) {
            RaftClientReply reply = c.admin().setConfiguration(RaftReplica.peers(newMembers));
            if (!reply.isSuccess()) {
                throw new IOException("membership change refused: " + reply.getException());
            }
        }
    }
}
