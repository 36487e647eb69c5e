package dev.conveyor.processor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.conveyor.common.json.ExactJson;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PlainRowsTest {

  @ParameterizedTest
  @ValueSource(
      strings = {
        "[]",
        "[{}]",
        "[{\"a\":\"text\",\"b\":1,\"c\":-7,\"d\":true,\"e\":null}]",
        "[{\"a\":123456789012345678901234567890}]",
        "[{\"a\":\"1e2\"},{\"b\":\"{\\\"x\\\":1}\"}]"
      })
  void stringsIntegersBooleansAndNullsArePlain(String rows) throws Exception {
    assertThat(PlainRows.plain(read(rows))).isTrue();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "[{\"a\":1e2}]",
        "[{\"a\":1.50}]",
        "[{\"a\":1.0}]",
        "[{\"a\":-0.0}]",
        "[{\"a\":{\"b\":1}}]",
        "[{\"a\":[1,2]}]",
        "[{\"a\":\"x\"},{\"a\":2.5}]"
      })
  void aFractionAnExponentAnObjectOrAnArrayAnywhereIsNot(String rows) throws Exception {
    assertThat(PlainRows.plain(read(rows))).isFalse();
  }

  private static JsonNode read(String json) throws Exception {
    return ExactJson.read(json);
  }
}
