package dev.conveyor.common.json;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class UnstorableContentTest {

  @Test
  void findsU0000InStringsAndKeysWithTheirPath() throws Exception {
    assertThat(find("{\"a\":{\"b\":[\"x\",\"y\\u0000\"]}}"))
        .contains(new UnstorableContent(UnstorableContent.Kind.NUL, "$.a.b[1]"));
    assertThat(find("{\"we ird\\u0000\":1}"))
        .contains(new UnstorableContent(UnstorableContent.Kind.NUL, "$[\"we ird\\u0000\"]"));
  }

  @Test
  void findsLoneSurrogatesButNotPairs() throws Exception {
    assertThat(find("{\"ok\":\"\\ud83d\\ude00\"}")).isEmpty();
    assertThat(find("{\"t\":\"\\ude00\"}").map(UnstorableContent::kind))
        .contains(UnstorableContent.Kind.LONE_SURROGATE);
    assertThat(find("{\"t\":\"x\\ud83d\"}").map(UnstorableContent::path)).contains("$.t");
  }

  @Test
  void aKeyWithALoneSurrogateBuiltInJavaIsFound() {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    o.put("k\ud800", 1);

    assertThat(UnstorableContent.find(o).map(UnstorableContent::kind))
        .contains(UnstorableContent.Kind.LONE_SURROGATE);
  }

  @Test
  void findsNumbersBeyondNumericAndNonFiniteDoubles() throws Exception {
    assertThat(find("[1e131072]").map(UnstorableContent::describe))
        .contains("a number beyond PostgreSQL numeric's range at $[0]");
    assertThat(find("[1e131071, 1e-16383, 123456789012345678901234567890]")).isEmpty();
    assertThat(
            UnstorableContent.find(
                JsonNodeFactory.instance.arrayNode().add(Double.NaN).add(Double.POSITIVE_INFINITY)))
        .map(UnstorableContent::path)
        .contains("$[0]");
  }

  @Test
  void controlCharactersAndNoncharactersAreStorable() throws Exception {
    assertThat(find("{\"t\":\"\\u0001\\u001f\\u007f\\ufffe\\uffff\"}")).isEmpty();
  }

  @Test
  void longPathsAndNamesAreCut() throws Exception {
    String key = "k".repeat(500);
    String path = find("{\"" + key + " \":\"\\u0000\"}").orElseThrow().path();

    assertThat(path).hasSizeLessThan(100).endsWith("...\"]");
  }

  @Test
  void aDeepPathIsCutAsItGrowsAndTheWayToTheFindIsKept() throws Exception {
    String path = find("[".repeat(150) + "\"\\u0000\"" + "]".repeat(150)).orElseThrow().path();
    assertThat(path).isEqualTo(("$" + "[0]".repeat(150)).substring(0, 300) + "...");

    assertThat(find("[{\"a\":1},{\"b\":[0,{\"c d\":{\"e\":\"\\ud800\"}}]}]").orElseThrow().path())
        .isEqualTo("$[1].b[1][\"c d\"].e");
  }

  private static Optional<UnstorableContent> find(String json) throws Exception {
    return UnstorableContent.find(ExactJson.read(json));
  }
}
