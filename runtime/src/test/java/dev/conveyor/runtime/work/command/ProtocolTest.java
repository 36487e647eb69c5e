package dev.conveyor.runtime.work.command;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conveyor.runtime.ledger.QueueItem;
import dev.conveyor.runtime.work.WorkItem;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProtocolTest {

  @Test
  void aRequestIsOneAsciiLineWithTaskPartAndTheInputAsJson() {
    byte[] line =
        Protocol.request(
            new WorkItem(new QueueItem("doc-42", 3, "1-0"), "{\n \"text\": \"Zoë ☃\"\n}"));

    String text = new String(line, StandardCharsets.US_ASCII);
    assertThat(text)
        .isEqualTo(
            "{\"task_id\":\"doc-42\",\"part\":3,\"input\":{\"text\":\"Zo\\u00EB \\u2603\"}}\n");
    assertThat(text.indexOf('\n')).isEqualTo(text.length() - 1);
  }

  @Test
  void aTaskScopeItemIsPartMinusOne() {
    String text =
        new String(
            Protocol.request(new WorkItem(new QueueItem("t", QueueItem.TASK, "1-0"), "[1,2]")),
            StandardCharsets.US_ASCII);

    assertThat(text).isEqualTo("{\"task_id\":\"t\",\"part\":-1,\"input\":[1,2]}\n");
  }

  @Test
  void numbersPassThroughExactly() {
    String text =
        new String(
            Protocol.request(
                new WorkItem(
                    new QueueItem("t", 0, "1-0"),
                    "{\"big\":123456789012345678901234567890,\"x\":0.12345678901234567890123}")),
            StandardCharsets.US_ASCII);

    assertThat(text).contains("123456789012345678901234567890", "0.12345678901234567890123");
  }

  @Test
  void anInputThatIsNotJsonIsRefused() {
    assertThatThrownBy(
            () -> Protocol.request(new WorkItem(new QueueItem("t", 0, "1-0"), "{\"a\": 1} x")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("input is not JSON");
    assertThatThrownBy(() -> Protocol.request(new WorkItem(new QueueItem("t", 0, "1-0"), " ")))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void anOkAnswerCarriesItsDataAsCompactJson() {
    assertThat(Protocol.answer("{\"ok\": true, \"data\": {\"text\": \"HÉ\", \"n\": [1, 2.50]}}"))
        .isEqualTo(new Protocol.Answer.Ok("{\"text\":\"HÉ\",\"n\":[1,2.5]}"));
    assertThat(Protocol.answer("{\"ok\": true, \"data\": null}"))
        .isEqualTo(new Protocol.Answer.Ok("null"));
  }

  @Test
  void aFailedAnswerCarriesItsError() {
    assertThat(Protocol.answer("{\"ok\": false, \"error\": \"no text\"}"))
        .isEqualTo(new Protocol.Answer.Error("no text"));
    assertThat(Protocol.answer("{\"ok\": false, \"error\": {\"code\": 7}}"))
        .isEqualTo(new Protocol.Answer.Error("{\"code\":7}"));
    assertThat(Protocol.answer("{\"ok\": false}")).isInstanceOf(Protocol.Answer.Error.class);
  }

  @Test
  void anOkAnswerWithoutDataFailsTheItemButKeepsTheWorker() {
    assertThat(Protocol.answer("{\"ok\": true}"))
        .isEqualTo(new Protocol.Answer.Error("the program answered ok without \"data\""));
  }

  @Test
  void linesThatAreNotProtocolLinesAreInvalid() {
    for (String line :
        List.of(
            "loading model...",
            "",
            "[1, 2]",
            "{\"data\": 1}",
            "{\"ok\": \"yes\", \"data\": 1}",
            "{\"ok\": true, \"data\": 1} {\"ok\": true, \"data\": 2}",
            "{\"ok\": true, \"data\": NaN}")) {
      assertThat(Protocol.answer(line))
          .as(line)
          .isInstanceOfSatisfying(
              Protocol.Answer.Invalid.class,
              invalid -> assertThat(invalid.problem()).contains("which is not a protocol line"));
    }
  }

  @Test
  void optionsBecomeAJsonObjectInFileOrder() {
    Map<String, Object> options = new LinkedHashMap<>();
    options.put("threshold", 0.5);
    options.put("labels", List.of("PER", "ORG"));
    options.put("name", "Zoë");

    assertThat(Protocol.options(options))
        .isEqualTo("{\"threshold\":0.5,\"labels\":[\"PER\",\"ORG\"],\"name\":\"Zo\\u00EB\"}");
    assertThat(Protocol.options(Map.of())).isEqualTo("{}");
  }
}
