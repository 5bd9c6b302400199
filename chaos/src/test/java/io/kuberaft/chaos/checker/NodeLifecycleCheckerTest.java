package io.kuberaft.chaos.checker;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.chaos.history.History;
import io.kuberaft.chaos.history.Op;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Synthetic node-lifecycle histories (grace 10 s, tolerationSeconds 4) with known anomalies. */
class NodeLifecycleCheckerTest {
    private static final long T0 = 1_000_000;
    private final List<Op> ops = new ArrayList<>();
    private long t;
    private long rv = 10;

    private void op(int p, Op.Type type, String f, ObjectNode v) {
        ops.add(new Op(p, type, f, null, v, ++t, null, null));
    }

    private void done(int p, String f, ObjectNode v) {
        op(p, Op.Type.invoke, f, null);
        op(p, Op.Type.ok, f, v);
    }

    private static ObjectNode node(String name, String ready, String... taintsAt) {
        ObjectNode n = History.JSON.createObjectNode().put("name", name).put("ready", ready).put("heartbeatMs", T0);
        ArrayNode a = n.putArray("taints");
        for (String s : taintsAt) {
            a.addObject().put("key", "node.kubernetes.io/unreachable").put("effect", "NoExecute").put("addedMs", Long.parseLong(s));
        }
        return n;
    }

    private static ObjectNode lease(String name, long renew) {
        return History.JSON.createObjectNode().put("name", name).put("renewMs", renew);
    }

    private static ObjectNode pod(String name, String node, long deletionMs) {
        return History.JSON.createObjectNode().put("name", name).put("node", node).put("deleting", deletionMs > 0).put("deletionMs", deletionMs).put("grace", 1);
    }

    /** Each kind's reflector: one list at revision 10, one session with the given events, covering up to 1000. */
    private void reflect(String kind, ObjectNode[] listed, Object... events) {
        ObjectNode l = History.JSON.createObjectNode().put("kind", kind).put("rv", 10);
        ArrayNode items = l.putArray("items");
        for (ObjectNode o : listed) {
            items.add(o);
        }
        done(500_000 + kind.length(), "list", l);
        ObjectNode w = History.JSON.createObjectNode().put("kind", kind).put("from", 10);
        ArrayNode ev = w.putArray("events");
        for (int i = 0; i < events.length; i += 2) {
            ev.add(((ObjectNode) events[i]).deepCopy().put("rv", (Long) events[i + 1]).put("type", "MODIFIED"));
        }
        ev.addObject().put("rv", 1000).put("type", "BOOKMARK");
        done(500_000 + kind.length(), "watch", w);
    }

    private void base(long faultStart, long faultEnd) {
        done(800_000, "clock", History.JSON.createObjectNode().put("wallMs", T0).put("atNs", 0));
        done(0, "agent-fault", History.JSON.createObjectNode().put("node", "a1-0").put("kind", "kill").put("startMs", faultStart).put("endMs", faultEnd));
        done(900_000, "final", History.JSON.createObjectNode().put("healthy", true));
    }

    @Test
    void aTaintAfterTheGraceAndEvictionsAfterTheTolerationAreValid() {
        base(T0 + 1_000, T0 + 40_000);
        reflect("lease", new ObjectNode[] {lease("a1-0", T0), lease("a2-0", T0)}, lease("a1-0", T0 + 800), 11L, lease("a2-0", T0 + 30_000), 12L);
        reflect("node", new ObjectNode[] {node("a1-0", "True"), node("a2-0", "True")}, node("a1-0", "Unknown", Long.toString(T0 + 11_000)), 20L);
        reflect("pod", new ObjectNode[] {pod("p1", "a1-0", 0), pod("p2", "a2-0", 0)}, pod("p1", "a1-0", T0 + 16_000), 30L);
        CheckResult r = new NodeLifecycleChecker(10, 4).check(ops);
        assertThat(r.anomalies).isEmpty();
        assertThat(r.stats).containsEntry("faults-due-a-taint", 1).containsEntry("taints-checked", 1).containsEntry("evictions-checked", 1);
    }

    @Test
    void aTaintBeforeTheGraceIsAHealthyNodeTainted() {
        base(T0 + 1_000, T0 + 40_000);
        reflect("lease", new ObjectNode[] {lease("a1-0", T0)}, lease("a1-0", T0 + 6_000), 11L);
        reflect("node", new ObjectNode[] {node("a1-0", "True")}, node("a1-0", "Unknown", Long.toString(T0 + 9_000)), 20L);
        reflect("pod", new ObjectNode[] {pod("p1", "a1-0", 0)}, pod("p1", "a1-0", T0 + 14_000), 30L);
        CheckResult r = new NodeLifecycleChecker(10, 4).check(ops);
        assertThat(r.anomalies).extracting(CheckResult.Anomaly::kind).contains("healthy-node-tainted");
    }

    @Test
    void aRenewalThatRacedTheTaintAfterAFullGraceIsNot() {
        base(T0 + 1_000, T0 + 12_000);
        // silent from T0 to T0+11.5 s; the agent came back and renewed 0.5 s before the controller's taint landed
        reflect("lease", new ObjectNode[] {lease("a1-0", T0)}, lease("a1-0", T0 + 11_500), 19L);
        reflect("node", new ObjectNode[] {node("a1-0", "True")}, node("a1-0", "Unknown", Long.toString(T0 + 12_000)), 20L);
        reflect("pod", new ObjectNode[] {pod("p1", "a1-0", 0)});
        assertThat(new NodeLifecycleChecker(10, 4).check(ops).anomalies).isEmpty();
    }

    @Test
    void anEvictionFromAnUntaintedNodeIsAnAnomaly() {
        base(T0 + 1_000, T0 + 3_000);
        reflect("lease", new ObjectNode[] {lease("a1-0", T0)});
        reflect("node", new ObjectNode[] {node("a1-0", "True")});
        reflect("pod", new ObjectNode[] {pod("p1", "a1-0", 0)}, pod("p1", "a1-0", T0 + 5_000), 30L);
        assertThat(new NodeLifecycleChecker(10, 4).check(ops).anomalies).extracting(CheckResult.Anomaly::kind).containsExactly("eviction-from-healthy-node");
    }

    /**
     * ci-short seed 1795436736: the agent came back from a first fault, built a Ready status (heartbeat just before the
     * second fault) and was cut off before it was committed; the node stayed tainted from the first fault until the
     * cut-off ended and that status landed. The second fault needed no taint of its own. Healthy a2's renewals date
     * the revisions.
     */
    @Test
    void aNodeStillTaintedFromAnEarlierFaultNeedsNoNewTaint() {
        done(800_000, "clock", History.JSON.createObjectNode().put("wallMs", T0).put("atNs", 0));
        done(0, "agent-fault", History.JSON.createObjectNode().put("node", "a1-0").put("kind", "isolate").put("startMs", T0 + 20_000).put("endMs", T0 + 50_000));
        done(900_000, "final", History.JSON.createObjectNode().put("healthy", true));
        reflect("lease", new ObjectNode[] {lease("a1-0", T0), lease("a2-0", T0 + 18_000)}, lease("a2-0", T0 + 20_000), 21L,
                lease("a2-0", T0 + 30_000), 31L, lease("a2-0", T0 + 40_000), 41L, lease("a2-0", T0 + 52_000), 55L, lease("a1-0", T0 + 52_500), 58L);
        ObjectNode back = node("a1-0", "True", Long.toString(T0 + 11_000)).put("heartbeatMs", T0 + 19_500);
        reflect("node", new ObjectNode[] {node("a1-0", "Unknown", Long.toString(T0 + 11_000)), node("a2-0", "True")},
                back, 60L, node("a1-0", "True").put("heartbeatMs", T0 + 19_500), 61L);
        reflect("pod", new ObjectNode[] {});
        CheckResult r = new NodeLifecycleChecker(10, 4).check(ops);
        assertThat(r.anomalies).isEmpty();
        assertThat(r.stats).containsEntry("faults-on-a-still-tainted-node", 1);
    }

    /** The same, but the first taint was removed (the node Ready) before the second fault began: it needs its own taint. */
    @Test
    void aTaintRemovedBeforeTheFaultDoesNotCountForIt() {
        done(800_000, "clock", History.JSON.createObjectNode().put("wallMs", T0).put("atNs", 0));
        done(0, "agent-fault", History.JSON.createObjectNode().put("node", "a1-0").put("kind", "isolate").put("startMs", T0 + 20_000).put("endMs", T0 + 50_000));
        done(900_000, "final", History.JSON.createObjectNode().put("healthy", true));
        reflect("lease", new ObjectNode[] {lease("a1-0", T0), lease("a2-0", T0 + 18_000)}, lease("a2-0", T0 + 20_000), 21L,
                lease("a2-0", T0 + 30_000), 31L, lease("a2-0", T0 + 40_000), 41L, lease("a2-0", T0 + 52_000), 55L);
        reflect("node", new ObjectNode[] {node("a1-0", "Unknown", Long.toString(T0 + 11_000)), node("a2-0", "True")},
                node("a1-0", "True").put("heartbeatMs", T0 + 19_000), 15L);
        reflect("pod", new ObjectNode[] {});
        assertThat(new NodeLifecycleChecker(10, 4).check(ops).anomalies).extracting(CheckResult.Anomaly::kind).containsExactly("late-taint");
    }

    @Test
    void aLongFaultWithoutTaintOrEvictionIsLate() {
        base(T0 + 1_000, T0 + 40_000);
        reflect("lease", new ObjectNode[] {lease("a1-0", T0)});
        reflect("node", new ObjectNode[] {node("a1-0", "True")});
        reflect("pod", new ObjectNode[] {pod("p1", "a1-0", 0)});
        assertThat(new NodeLifecycleChecker(10, 4).check(ops).anomalies).extracting(CheckResult.Anomaly::kind).containsExactly("late-taint");
        ops.clear();
        base(T0 + 1_000, T0 + 40_000);
        reflect("lease", new ObjectNode[] {lease("a1-0", T0)});
        reflect("node", new ObjectNode[] {node("a1-0", "True")}, node("a1-0", "Unknown", Long.toString(T0 + 11_000)), 20L);
        reflect("pod", new ObjectNode[] {pod("p1", "a1-0", 0)});
        assertThat(new NodeLifecycleChecker(10, 4).check(ops).anomalies).extracting(CheckResult.Anomaly::kind).containsExactly("late-eviction");
    }

    @Test
    void aMasterFaultInsideTheWindowPushesTheDeadlineBack() {
        base(T0 + 1_000, T0 + 40_000);
        // the leader was killed 15 s into the fault: the new leader's own grace starts then
        ops.add(new Op(-1, Op.Type.info, "kill-leader", null, History.v("start: SIGKILL m1"), 15_000_000_000L, null, null));
        reflect("lease", new ObjectNode[] {lease("a1-0", T0)});
        reflect("node", new ObjectNode[] {node("a1-0", "True")}, node("a1-0", "Unknown", Long.toString(T0 + 27_000)), 20L);
        reflect("pod", new ObjectNode[] {pod("p1", "a1-0", 0)}, pod("p1", "a1-0", T0 + 32_000), 30L);
        assertThat(new NodeLifecycleChecker(10, 4).check(ops).anomalies).isEmpty();
    }
}
