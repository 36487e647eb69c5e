package dev.conveyor.dispatcher;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.common.http.HttpRequest;
import dev.conveyor.common.http.HttpResponse;
import dev.conveyor.runtime.pipeline.PipelineLoader;
import dev.conveyor.runtime.pipeline.Pipelines;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** How {@code POST /messages} reads a body into inbox entries, before anything reaches Redis. */
class MessagesHandlerTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void aPayloadIsKeptExactlyAsSentAndAStringPayloadIsItsJsonText() {
    MessagesHandler.Entry object =
        MessagesHandler.entryOf(
            "{\"id\":\"a-1\", \"payload\" : {\"n\": 1.10, \"s\":\"\\u00e9\"} ,\"pipeline\":\"p\"}");
    MessagesHandler.Entry text =
        MessagesHandler.entryOf("{\"pipeline\":\"p\",\"payload\":\"{\\\"t\\\":1}\"}");
    MessagesHandler.Entry number =
        MessagesHandler.entryOf("{\"pipeline\":\"p\",\"payload\":1e400}");

    assertThat(object.problem()).isNull();
    assertThat(object.fields())
        .containsExactly(
            Map.entry("pipeline", "p"),
            Map.entry("id", "a-1"),
            Map.entry("payload", "{\"n\": 1.10, \"s\":\"\\u00e9\"}"));
    assertThat(text.fields()).containsEntry("payload", "{\"t\":1}").doesNotContainKey("id");
    assertThat(number.fields()).containsEntry("payload", "1e400");
  }

  @Test
  void whatIsNoMessageObjectIsNamed() {
    assertThat(MessagesHandler.entryOf("[1]").problem()).contains("JSON object");
    assertThat(MessagesHandler.entryOf("{\"pipeline\":1,\"payload\":{}}").problem())
        .isEqualTo("field 'pipeline' must be a string");
    assertThat(MessagesHandler.entryOf("{\"pipeline\":\"p\",\"id\":7,\"payload\":{}}").problem())
        .isEqualTo("field 'id' must be a string");
    assertThat(MessagesHandler.entryOf("{\"pipeline\":\"p\",\"trace\":\"x\"}").problem())
        .startsWith("unknown field 'trace'");
    assertThat(MessagesHandler.entryOf("{\"pipeline\":\"p\"} {}").problem())
        .isEqualTo("a line holds more than one JSON value");
    assertThat(MessagesHandler.entryOf("{\"pipeline\":").problem()).startsWith("not JSON");
    assertThat(MessagesHandler.entryOf("{\"pipeline\":\"p\"}").fields())
        .as("a missing payload is the validator's to name")
        .containsOnlyKeys("pipeline");
  }

  @Test
  void aBodyIsOneMessageOverSeveralLinesOrJsonLines() {
    assertThat(MessagesHandler.messagesOf("{\n\"pipeline\": \"p\",\n\"payload\": {}\n}\n"))
        .hasSize(1);
    assertThat(MessagesHandler.messagesOf("{\"a\":1}\n\n{\"b\":2}\r\n"))
        .containsExactly("{\"a\":1}", "", "{\"b\":2}", "");
    assertThat(MessagesHandler.messagesOf(" \n ")).isEmpty();
  }

  @Test
  void beforeTheIntakeRunsTheAnswerIs503AndABodyThatIsNotUtf8Is400() throws Exception {
    Pipelines pipelines =
        Pipelines.of(
            List.of(
                PipelineLoader.parse(
                    """
                    pipeline: p
                    version: 1
                    steps:
                      - {name: s, kind: sink, sink: {table: t, key: [task_id]}}
                    """,
                    "p.yaml")));
    MessageValidator validator = new MessageValidator(pipelines, 1024);
    MessagesHandler starting =
        new MessagesHandler(validator, Optional::empty, () -> null, "ns:inbox");
    // why: not holding back, and never asked to check (that reads Redis): the intake's view
    Backpressure open = new Backpressure(pipelines, null, Clock.systemUTC(), null);
    MessagesHandler running =
        new MessagesHandler(validator, () -> Optional.of(open), () -> null, "ns:inbox");
    byte[] overlongNul = {'{', (byte) 0xC0, (byte) 0x80, '}'};

    HttpResponse notYet = starting.handle(post(overlongNul));
    HttpResponse notText = running.handle(post(overlongNul));
    HttpResponse bad = running.handle(post("{\"pipeline\":\"q\",\"payload\":{}}".getBytes(UTF_8)));

    assertThat(notYet.status()).isEqualTo(503);
    assertThat(notYet.headers()).containsEntry("Retry-After", "1");
    assertThat(notText.status()).isEqualTo(400);
    assertThat(JSON.readTree(notText.bodyAsString()).at("/refused/0/reason").asText())
        .isEqualTo(MessagesHandler.NOT_A_MESSAGE);
    assertThat(bad.status()).isEqualTo(400);
    assertThat(JSON.readTree(bad.bodyAsString()).at("/refused/0/reason").asText())
        .isEqualTo("unknown_pipeline");
    assertThat(MessagesHandler.bodyLimit(Integer.MAX_VALUE))
        .isEqualTo(MessagesHandler.MAX_BODY_BYTES);
    assertThat(MessagesHandler.bodyLimit(1000))
        .isEqualTo(1000 + MessagesHandler.BODY_OVERHEAD_BYTES);
  }

  private static HttpRequest post(byte[] body) {
    return new HttpRequest("POST", "/messages", "", Map.of(), Map.of(), body);
  }
}
