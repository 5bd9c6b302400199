package io.kuberaft.apiserver.patch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import org.junit.jupiter.api.Test;

import static io.kuberaft.apiserver.patch.Json.obj;
import static org.assertj.core.api.Assertions.assertThat;

/** JSON merge patch (RFC 7386) and the merge patch between two documents. */
class MergePatchTest {

    @Test
    void rfc7386Examples() {
        assertThat(MergePatch.apply(obj("{'a':'b'}"), obj("{'a':'c'}"))).isEqualTo(obj("{'a':'c'}"));
        assertThat(MergePatch.apply(obj("{'a':'b'}"), obj("{'b':'c'}"))).isEqualTo(obj("{'a':'b','b':'c'}"));
        assertThat(MergePatch.apply(obj("{'a':'b'}"), obj("{'a':null}"))).isEqualTo(obj("{}"));
        assertThat(MergePatch.apply(obj("{'a':['b']}"), obj("{'a':'c'}"))).isEqualTo(obj("{'a':'c'}"));
        assertThat(MergePatch.apply(obj("{'a':{'b':'c'}}"), obj("{'a':{'b':'d','c':null}}"))).isEqualTo(obj("{'a':{'b':'d'}}"));
        assertThat(MergePatch.apply(obj("{'a':[{'b':'c'}]}"), obj("{'a':[1]}"))).isEqualTo(obj("{'a':[1]}"));
        assertThat(MergePatch.apply(obj("{}"), obj("{'a':{'bb':{'ccc':null}}}"))).isEqualTo(obj("{'a':{'bb':{}}}"));
    }

    @Test
    void diffProducesTheMinimalPatch() {
        assertThat(MergePatch.diff(obj("{'a':1,'b':{'c':2,'d':3},'e':4}"), obj("{'a':1,'b':{'c':5,'d':3},'f':6}")))
                .isEqualTo(obj("{'e':null,'b':{'c':5},'f':6}"));
        assertThat(MergePatch.diff(obj("{'a':{'b':1}}"), obj("{'a':{'b':1}}"))).isEqualTo(obj("{}"));
    }

    /** The merge patch created from (a, b), applied to a, gives b. */
    @Property(tries = 500)
    void diffAppliedToTheOriginalGivesTheTarget(@ForAll("jsonMaps") ObjectNode a, @ForAll("jsonMaps") ObjectNode b) {
        ObjectNode patch = MergePatch.diff(a, b);
        assertThat(MergePatch.apply(a.deepCopy(), patch)).isEqualTo(b);
    }

    /** Without lists, a strategic merge patch is a JSON merge patch. */
    @Property(tries = 300)
    void strategicMergeWithoutListsIsAMergePatch(@ForAll("jsonMaps") ObjectNode a, @ForAll("jsonMaps") ObjectNode b) {
        ObjectNode patch = MergePatch.diff(a, b);
        PatchMeta.Kind pod = new PatchMeta.Kind(BuiltinPatchMeta.INSTANCE, "", "Pod");
        assertThat(StrategicMergePatch.apply(a, patch, pod)).isEqualTo(b);
    }

    @Provide
    Arbitrary<ObjectNode> jsonMaps() {
        return maps(3);
    }

    private static Arbitrary<ObjectNode> maps(int depth) {
        Arbitrary<JsonNode> scalar = Arbitraries.oneOf(
                Arbitraries.strings().alpha().ofMaxLength(3).map(TextNode::valueOf),
                Arbitraries.integers().between(-3, 3).map(IntNode::valueOf),
                Arbitraries.of(true, false).map(BooleanNode::valueOf));
        Arbitrary<JsonNode> value = depth == 0 ? scalar
                : Arbitraries.frequencyOf(Tuple.of(3, scalar), Tuple.of(2, maps(depth - 1).map(o -> (JsonNode) o)));
        return Arbitraries.maps(Arbitraries.of("a", "b", "c", "d", "e"), value).ofMaxSize(4).map(m -> {
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            m.forEach(o::set);
            return o;
        });
    }
}
