package dev.conveyor.common.logging;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class JsonLayoutTest {
  private final JsonLayout layout = new JsonLayout();

  @Test
  void pairsBecomeTopLevelFieldsInOrderAfterTheFixedOnes() {
    var event =
        Events.info("dev.conveyor.processor.ProcessorMain")
            .kv("event", "state")
            .kv("system", "processor")
            .kv("pid", 7)
            .kv("state", "RUNNING")
            .build();

    assertThat(layout.doLayout(event))
        .isEqualTo(
            "{\"ts\":\"2026-03-01T10:15:02.114Z\",\"level\":\"INFO\",\"thread\":\"main\","
                + "\"logger\":\"ProcessorMain\",\"event\":\"state\",\"system\":\"processor\","
                + "\"pid\":7,\"state\":\"RUNNING\"}\n");
  }

  @Test
  void numbersAndBooleansStayJsonTypesAndEverythingElseIsAString() {
    var event =
        Events.info("x.Y")
            .kv("int", 1)
            .kv("long", 5_000_000_000L)
            .kv("double", 0.25)
            .kv("big", new BigDecimal("12.50"))
            .kv("counter", new AtomicLong(3))
            .kv("flag", true)
            .kv("list", List.of(1, 2))
            .kv("none", null)
            .build();

    assertThat(layout.doLayout(event))
        .endsWith(
            "\"int\":1,\"long\":5000000000,\"double\":0.25,\"big\":12.50,\"counter\":3,"
                + "\"flag\":true,\"list\":\"[1, 2]\",\"none\":null}\n");
  }

  @Test
  void keysNamedLikeFixedFieldsArePrefixed() throws Exception {
    var event = Events.info("x.Y", "hello").kv("level", "deep").kv("msg", "m").kv("ts", 1).build();

    JsonNode json = new ObjectMapper().readTree(layout.doLayout(event));

    assertThat(json.get("level").asText()).isEqualTo("INFO");
    assertThat(json.get("kv_level").asText()).isEqualTo("deep");
    assertThat(json.get("kv_msg").asText()).isEqualTo("m");
    assertThat(json.get("kv_ts").asInt()).isEqualTo(1);
    assertThat(json.get("msg").asText()).isEqualTo("hello");
  }

  @Test
  void errorAndMsgKeysKeepTheirNamesWhenTheEventHasNoThrowableOrMessage() {
    var event = Events.info("x.Y").kv("error", "timeout after PT30S").kv("msg", "m").build();

    assertThat(layout.doLayout(event))
        .endsWith(",\"error\":\"timeout after PT30S\",\"msg\":\"m\"}\n");
  }

  @Test
  void messageOnlyEventHasMsgField() {
    var event =
        Events.info("com.zaxxer.hikari.HikariDataSource", "HikariPool-1 - Started.").build();

    assertThat(layout.doLayout(event))
        .isEqualTo(
            "{\"ts\":\"2026-03-01T10:15:02.114Z\",\"level\":\"INFO\",\"thread\":\"main\","
                + "\"logger\":\"HikariDataSource\",\"msg\":\"HikariPool-1 - Started.\"}\n");
  }

  @Test
  void specialCharactersAreEscapedAndTheEventStaysOnOneLine() throws Exception {
    String nasty = "quote \" backslash \\ newline \n cr \r tab \t esc \u001b end";
    var event = Events.info("x.Y", nasty).kv("note", nasty).build();

    String line = layout.doLayout(event);

    assertThat(line.indexOf('\n')).isEqualTo(line.length() - 1);
    assertThat(line).doesNotContain("\r", "\t", "\u001b");
    JsonNode json = new ObjectMapper().readTree(line);
    assertThat(json.get("note").asText()).isEqualTo(nasty);
    assertThat(json.get("msg").asText()).isEqualTo(nasty);
  }

  @Test
  void throwableIsWrittenAsErrorStackTraceString() throws Exception {
    var cause = new IllegalStateException("boom");
    var event =
        Events.error("dev.conveyor.common.http.StatusHttpServer", null, cause)
            .kv("event", "http_error")
            .kv("error", "boom")
            .build();

    String line = layout.doLayout(event);

    assertThat(line.indexOf('\n')).isEqualTo(line.length() - 1);
    JsonNode json = new ObjectMapper().readTree(line);
    assertThat(json.get("level").asText()).isEqualTo("ERROR");
    assertThat(json.has("msg")).isFalse();
    assertThat(json.get("kv_error").asText()).isEqualTo("boom");
    assertThat(json.get("error").asText())
        .startsWith("java.lang.IllegalStateException: boom")
        .contains("at dev.conveyor.common.logging.JsonLayoutTest");
  }

  @Test
  void timestampAlwaysHasMilliseconds() {
    var event = Events.info("x.Y").build();
    event.setInstant(java.time.Instant.parse("2026-03-01T10:15:02Z"));

    assertThat(layout.doLayout(event)).startsWith("{\"ts\":\"2026-03-01T10:15:02.000Z\"");
  }
}
