package dev.conveyor.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class PublishLineTest {

  @Test
  void aGoodLineBecomesThePlainFieldsOfTheMessageContract() {
    PublishCommand.Result r =
        PublishCommand.parse(
            "{\"id\": \"doc-42\", \"pipeline\": \"ner\", \"payload\": {\"text\": \"Hi \\u00e9\"}}");

    assertThat(r.error()).isEmpty();
    assertThat(r.fields())
        .containsExactly(
            Map.entry("id", "doc-42"),
            Map.entry("pipeline", "ner"),
            Map.entry("payload", "{\"text\":\"Hi é\"}"));
  }

  @Test
  void theIdIsOptional() {
    PublishCommand.Result r = PublishCommand.parse("{\"pipeline\": \"echo\", \"payload\": {}}");

    assertThat(r.fields()).containsOnlyKeys("pipeline", "payload");
  }

  @Test
  void badLinesSayWhatIsWrong() {
    assertThat(PublishCommand.parse("{").error()).get().asString().startsWith("not JSON: ");
    assertThat(PublishCommand.parse("[1]").error()).hasValue("not a JSON object");
    assertThat(PublishCommand.parse("{\"payload\": {}}").error())
        .hasValue("no \"pipeline\" string");
    assertThat(PublishCommand.parse("{\"pipeline\": \"p\", \"payload\": []}").error())
        .hasValue("no \"payload\" object");
    assertThat(PublishCommand.parse("{\"pipeline\": \"p\", \"payload\": {}, \"id\": {}}").error())
        .hasValue("\"id\" must be a string");
  }

  @Test
  void tableColumnsAreAlignedWithoutTrailingBlanks() {
    Table t = new Table().row("STEP", "DEAD").row("company", 0).row("x", null);

    assertThat(t.lines("  ")).containsExactly("  STEP     DEAD", "  company  0", "  x        -");
  }
}
