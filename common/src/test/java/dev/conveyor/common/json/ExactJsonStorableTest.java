package dev.conveyor.common.json;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link ExactJson#storable} answers what reading the tree and {@link UnstorableContent} do. */
class ExactJsonStorableTest {
  private static final List<String> DOCUMENTS =
      List.of(
          "{\"text\":\"plain\",\"n\":1,\"f\":1.50,\"a\":[true,false,null,{}]}",
          "\"\\ud83d\\ude00\"",
          "\"\\u0001\\u001f\\ufffe\\uffff\"",
          "123456789012345678901234567890",
          "[1e131071, 1e-16383]",
          "{\"t\":\"x\\u0000\"}",
          "{\"k\\u0000\":1}",
          "{\"deep\":[[[{\"k\\ud800\":1}]]]}",
          "[\"\\ude00\"]",
          "[\"x\\ud83d\"]",
          "[1e131072]",
          "[1e-16384]",
          "[1" + "0".repeat(999) + "]",
          "[1e99999999999999]",
          "NaN",
          "Infinity",
          "{} x",
          "{} {}",
          "[1,]",
          "{\"a\":",
          "",
          "   ",
          "[".repeat(1000) + "]".repeat(1000),
          "[".repeat(1001) + "]".repeat(1001),
          "{\"a\":1,\"a\":\"\\u0000\"}");

  @Test
  void agreesWithTheTreeOnEveryDocument() {
    for (String json : DOCUMENTS) {
      assertThat(ExactJson.storable(json)).as(json).isEqualTo(byTheTree(json));
    }
  }

  @Test
  void saysNoForEachKindOfUnstorableContent() {
    assertThat(ExactJson.storable("{\"t\":\"x\\u0000\"}")).isFalse();
    assertThat(ExactJson.storable("{\"k\\ud800\":1}")).isFalse();
    assertThat(ExactJson.storable("[1e131072]")).isFalse();
    assertThat(ExactJson.storable("{} x")).isFalse();
    assertThat(ExactJson.storable("{\"t\":\"x\\ud83d\\ude00\"}")).isTrue();
  }

  private static boolean byTheTree(String json) {
    try {
      var tree = ExactJson.read(json);
      return tree != null && !tree.isMissingNode() && UnstorableContent.find(tree).isEmpty();
    } catch (JsonProcessingException e) {
      return false;
    }
  }
}
