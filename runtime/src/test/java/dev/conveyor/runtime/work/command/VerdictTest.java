package dev.conveyor.runtime.work.command;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.runtime.work.ItemResult;
import org.junit.jupiter.api.Test;

class VerdictTest {
  @Test
  void anOkLineIsTheItemsOutputAndTheProcessGoesOn() {
    assertThat(Verdict.of(new Reply.Line("{\"ok\": true, \"data\": {\"n\": 1}}", true), 0))
        .isEqualTo(new Verdict.Answered(new ItemResult.Output("{\"n\":1}")));
  }

  @Test
  void anErrorLineFailsTheItemAloneAndTheProcessGoesOn() {
    assertThat(Verdict.of(new Reply.Line("{\"ok\": false, \"error\": \"no\"}", true), 0))
        .isEqualTo(new Verdict.Answered(new ItemResult.Failed("no")));
  }

  @Test
  void aLineThatIsNotUtf8FailsTheItemAndTheProcessGoesOn() {
    assertThat(Verdict.of(new Reply.Line("{\"ok\": true, \"data\": 1}", false), 2))
        .isEqualTo(
            new Verdict.Answered(
                new ItemResult.Failed("worker 2 answered a line that is not UTF-8"),
                Verdict.IN_TURN));
  }

  @Test
  void aLineThatIsNotAProtocolLineBreaksTheProcess() {
    assertThat(Verdict.of(new Reply.Line("hello", true), 1))
        .isEqualTo(
            new Verdict.Broken(
                "protocol error",
                "worker 1 answered \"hello\" which is not a protocol line (one JSON object with a"
                    + " boolean \"ok\" per request; logs belong on stderr)"));
  }

  @Test
  void aLineTooLongBreaksTheProcess() {
    assertThat(Verdict.of(new Reply.Overflow(), 0))
        .isEqualTo(
            new Verdict.Broken(
                "answer longer than 64 MiB",
                "worker 0 answered a line longer than 64 MiB which is not a protocol line"));
  }

  @Test
  void anAnswerCarriesItsSeq() {
    assertThat(Verdict.of(new Reply.Line("{\"seq\": 7, \"ok\": true, \"data\": 1}", true), 0))
        .isEqualTo(new Verdict.Answered(new ItemResult.Output("1"), 7));
  }

  @Test
  void aHelloSaysWhetherTheProgramTakesBatches() {
    assertThat(Verdict.of(new Reply.Line("{\"hello\": {\"batch\": true}}", true), 0))
        .isEqualTo(new Verdict.Greeted(true));
    assertThat(Verdict.of(new Reply.Line("{\"hello\": {}}", true), 0))
        .isEqualTo(new Verdict.Greeted(false));
  }

  @Test
  void aSeqThatIsNotAWholeNumberBreaksTheProcess() {
    assertThat(Verdict.of(new Reply.Line("{\"seq\": \"x\", \"ok\": true, \"data\": 1}", true), 0))
        .isInstanceOf(Verdict.Broken.class);
  }

  @Test
  void theEndOfStdoutIsTheEndOfTheProcess() {
    assertThat(Verdict.of(new Reply.End(), 0)).isEqualTo(new Verdict.Ended());
  }
}
