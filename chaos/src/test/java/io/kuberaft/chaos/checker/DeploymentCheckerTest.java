package io.kuberaft.chaos.checker;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.chaos.history.History;
import io.kuberaft.chaos.history.Op;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Synthetic controller histories with known anomalies: a green result of the controllers workload means something. */
class DeploymentCheckerTest {
    private static final int POD = 500_000;
    private static final int RS = 500_001;
    private static final int DEPLOY = 500_002;
    private final List<Op> ops = new ArrayList<>();
    private long t;

    private void op(int p, Op.Type type, String f, ObjectNode value) {
        ops.add(new Op(p, type, f, null, value, ++t, null, null));
    }

    private static ObjectNode pod(String name, String owner, boolean deleting) {
        return History.JSON.createObjectNode().put("name", name).put("owner", owner).put("deleting", deleting).put("phase", "Running").put("ready", true);
    }

    private static ObjectNode rs(String name, int replicas, String rev) {
        return History.JSON.createObjectNode().put("name", name).put("owner", "web").put("replicas", replicas).put("chaosRev", rev);
    }

    private static ObjectNode deploy(int replicas, String rev) {
        return History.JSON.createObjectNode().put("name", "web").put("replicas", replicas).put("chaosRev", rev);
    }

    private void list(int process, String kind, long rv, ObjectNode... items) {
        op(process, Op.Type.invoke, "list", null);
        ObjectNode v = History.JSON.createObjectNode().put("kind", kind).put("rv", rv);
        ArrayNode a = v.putArray("items");
        for (ObjectNode i : items) {
            a.add(i);
        }
        op(process, Op.Type.ok, "list", v);
    }

    /** One watch session of {@code kind} with events (object, rv, type triples) and a closing bookmark at {@code until}. */
    private void watch(int process, String kind, long from, long until, Object... events) {
        op(process, Op.Type.invoke, "watch", History.JSON.createObjectNode().put("kind", kind).put("from", from));
        ObjectNode v = History.JSON.createObjectNode().put("kind", kind).put("from", from);
        ArrayNode a = v.putArray("events");
        for (int i = 0; i < events.length; i += 3) {
            a.add(((ObjectNode) events[i]).deepCopy().put("rv", (Long) events[i + 1]).put("type", (String) events[i + 2]));
        }
        a.addObject().put("rv", until).put("type", "BOOKMARK");
        op(process, Op.Type.ok, "watch", v);
    }

    private void operator(String f, int value, Op.Type outcome) {
        ops.add(new Op(0, Op.Type.invoke, f, null, History.v(value), ++t, null, null));
        ops.add(new Op(0, outcome, f, null, History.v(value), ++t, null, null));
    }

    private void fin(int replicas, String rev, boolean converged) {
        op(900_000, Op.Type.invoke, "final", null);
        op(900_000, Op.Type.ok, "final", deploy(replicas, rev).put("converged", converged).put("rv", 40));
    }

    /** 3 replicas of rs a at revision 10, then a roll to rs b (surge one, then scale a down) and a scale to 2. */
    private void rollout() {
        list(POD, "pod", 10, pod("a-1", "a", false), pod("a-2", "a", false), pod("a-3", "a", false));
        list(RS, "rs", 10, rs("a", 3, "0"));
        list(DEPLOY, "deploy", 10, deploy(3, "0"));
        operator("roll", 1, Op.Type.ok);
        watch(DEPLOY, "deploy", 10, 40, deploy(3, "1"), 11L, "MODIFIED", deploy(2, "1"), 20L, "MODIFIED");
        watch(RS, "rs", 10, 40, rs("b", 1, "1"), 12L, "ADDED", rs("a", 2, "0"), 15L, "MODIFIED", rs("b", 2, "1"), 16L, "MODIFIED",
                rs("a", 0, "0"), 21L, "MODIFIED");
        watch(POD, "pod", 10, 40, pod("b-1", "b", false), 13L, "ADDED", pod("a-1", "a", true), 17L, "MODIFIED",
                pod("b-2", "b", false), 18L, "ADDED", pod("a-1", "a", true), 19L, "DELETED",
                pod("a-2", "a", true), 22L, "MODIFIED", pod("a-3", "a", true), 23L, "MODIFIED");
        operator("scale", 2, Op.Type.ok);
    }

    @Test
    void aRolloutWithinItsBoundsThatConvergedIsValid() {
        rollout();
        fin(2, "1", true);
        CheckResult r = new DeploymentChecker(1, 3).check(ops);
        assertThat(r.anomalies).isEmpty();
        assertThat(r.valid).isEqualTo(CheckResult.Validity.TRUE);
        assertThat(r.stats).containsEntry("pods-created", 2).containsEntry("pod-creations-checked", 2);
    }

    @Test
    void aPodCreatedTwiceForOneSlotIsAnAnomaly() {
        rollout();
        // after the rollout, rs b (2 replicas) gets a third live pod: an ex-leader's and the new leader's creations
        watch(POD, "pod", 40, 45, pod("b-3", "b", false), 41L, "ADDED");
        watch(RS, "rs", 40, 45);
        watch(DEPLOY, "deploy", 40, 45);
        fin(2, "1", true);
        CheckResult r = new DeploymentChecker(1, 3).check(ops);
        assertThat(r.anomalies).extracting(CheckResult.Anomaly::kind).containsExactly("too-many-pods");
        assertThat(r.anomalies.get(0).detail()).contains("3 live pods of b");
    }

    @Test
    void aPodJustifiedByARecentlyLargerSpecIsNot() {
        rollout();
        // b was asked for 2 then 1 (a scale down); a controller that still saw 2 created a second pod
        watch(RS, "rs", 40, 50, rs("b", 1, "1"), 41L, "MODIFIED");
        watch(POD, "pod", 40, 50, pod("b-2", "b", true), 42L, "MODIFIED", pod("b-3", "b", false), 43L, "ADDED");
        watch(DEPLOY, "deploy", 40, 50, deploy(1, "1"), 44L, "MODIFIED");
        fin(2, "1", true);
        assertThat(new DeploymentChecker(1, 3).check(ops).anomalies).isEmpty();
    }

    @Test
    void replicaSetsAskingForMoreThanReplicasPlusSurgeIsAnAnomaly() {
        list(POD, "pod", 10);
        list(RS, "rs", 10, rs("a", 3, "0"));
        list(DEPLOY, "deploy", 10, deploy(3, "0"));
        watch(RS, "rs", 10, 30, rs("b", 2, "1"), 12L, "ADDED");
        watch(POD, "pod", 10, 30);
        watch(DEPLOY, "deploy", 10, 30);
        fin(3, "0", true);
        CheckResult r = new DeploymentChecker(1, 3).check(ops);
        assertThat(r.anomalies).extracting(CheckResult.Anomaly::kind).containsExactly("too-many-replicas");
    }

    @Test
    void revisionsBeyondWhatEveryReflectorCoveredAreNotJudged() {
        list(POD, "pod", 10);
        list(RS, "rs", 10, rs("a", 1, "0"));
        list(DEPLOY, "deploy", 10, deploy(1, "0"));
        // the ReplicaSet reflector saw nothing after 10: a pod at 20 may belong to a version it never recorded
        watch(POD, "pod", 10, 30, pod("a-1", "a", false), 19L, "ADDED", pod("a-2", "a", false), 20L, "ADDED");
        watch(DEPLOY, "deploy", 10, 30);
        fin(3, "0", true);
        CheckResult r = new DeploymentChecker(1, 3).check(ops);
        assertThat(r.anomalies).isEmpty();
        assertThat(r.stats).containsEntry("horizon-rv", 10L);
    }

    @Test
    void convergingToAnOlderScaleThanTheLastAcknowledgedIsALostUpdate() {
        rollout();
        fin(3, "1", true);
        CheckResult r = new DeploymentChecker(1, 3).check(ops);
        assertThat(r.anomalies).extracting(CheckResult.Anomaly::kind).containsExactly("lost-update");
        // a later indeterminate scale to 3 would explain it
        operator("scale", 3, Op.Type.info);
        fin(3, "1", true);
        assertThat(new DeploymentChecker(1, 3).check(ops).anomalies).isEmpty();
    }

    /**
     * ci-short seed 1795481774: a scale to 2 sent to a leader that was then paused timed out; another client's scale to 4
     * was acknowledged; the resumed replica retried the 2 at the new leader. An indeterminate write may take effect
     * at any time after it was sent, so ending at 2 is valid; ending at a value no write explains is not.
     */
    @Test
    void anIndeterminateWriteMayTakeEffectAfterALaterAcknowledgedOne() {
        rollout();
        ops.add(new Op(0, Op.Type.invoke, "scale", null, History.v(5), ++t, null, null));
        ops.add(new Op(1, Op.Type.invoke, "scale", null, History.v(4), ++t, null, null));
        ops.add(new Op(0, Op.Type.info, "scale", null, History.v(5), ++t, null, "timeout"));
        ops.add(new Op(1, Op.Type.ok, "scale", null, History.v(4), ++t, null, null));
        fin(5, "1", true);
        assertThat(new DeploymentChecker(1, 3).check(ops).anomalies).isEmpty();
        ops.remove(ops.size() - 1);
        ops.remove(ops.size() - 1);
        fin(2, "1", true);
        assertThat(new DeploymentChecker(1, 3).check(ops).anomalies).extracting(CheckResult.Anomaly::kind)
                .as("the 2 was acknowledged before the 4 was sent").containsExactly("lost-update");
    }

    /** Two acknowledged writes that overlapped may be linearized in either order. */
    @Test
    void eitherOfTwoConcurrentAcknowledgedWritesMayBeLast() {
        rollout();
        ops.add(new Op(0, Op.Type.invoke, "scale", null, History.v(5), ++t, null, null));
        ops.add(new Op(1, Op.Type.invoke, "scale", null, History.v(4), ++t, null, null));
        ops.add(new Op(1, Op.Type.ok, "scale", null, History.v(4), ++t, null, null));
        ops.add(new Op(0, Op.Type.ok, "scale", null, History.v(5), ++t, null, null));
        for (int end : List.of(4, 5)) {
            fin(end, "1", true);
            assertThat(new DeploymentChecker(1, 3).check(ops).anomalies).as("ending at %d", end).isEmpty();
            ops.remove(ops.size() - 1);
            ops.remove(ops.size() - 1);
        }
        fin(2, "1", true);
        assertThat(new DeploymentChecker(1, 3).check(ops).anomalies).extracting(CheckResult.Anomaly::kind).containsExactly("lost-update");
    }

    @Test
    void aRolloutThatNeverFinishedIsAnAnomalyAndNoFinalStateIsUnknown() {
        rollout();
        fin(2, "1", false);
        assertThat(new DeploymentChecker(1, 3).check(ops).anomalies).extracting(CheckResult.Anomaly::kind).containsExactly("not-converged");
        ops.removeIf(o -> o.f().equals("final"));
        assertThat(new DeploymentChecker(1, 3).check(ops).valid).isEqualTo(CheckResult.Validity.UNKNOWN);
    }
}
