package dev.conveyor.common.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class NestedCompositeLifecycleTest {

  private final List<String> journal = new CopyOnWriteArrayList<>();
  private final RecordingComposite processor = new RecordingComposite("processor", journal);
  private final RecordingSystem redis = processor.add(new RecordingSystem("redis", journal));
  private final RecordingComposite steps = processor.add(new RecordingComposite("steps", journal));
  private final RecordingSystem http = processor.add(new RecordingSystem("http", journal));

  @Test
  void aTreeStartsDepthFirstInOrderAndCompletesInReverse() {
    steps.add(new RecordingSystem("ner", journal));
    steps.add(new RecordingSystem("ocr", journal));
    processor.activate();
    journal.clear();

    processor.start();
    processor.shutdown();

    assertThat(journal)
        .containsExactly(
            "redis.start",
            "ner.start",
            "ocr.start",
            "steps.start",
            "http.start",
            "processor.start",
            "processor.complete",
            "http.complete",
            "steps.complete",
            "ocr.complete",
            "ner.complete",
            "redis.complete");
  }

  @Test
  void aDisabledRequiredGrandchildDisablesEveryAncestorWithTheChainOfReasons() {
    steps.add(
        new RecordingSystem("ner", journal)
            .failingOn(Transition.ACTIVATE, new IllegalStateException("model file missing")));

    processor.activate();

    assertThat(steps.reason()).contains("subsystem ner disabled: model file missing");
    assertThat(processor.reason())
        .contains("subsystem steps disabled: subsystem ner disabled: model file missing");
    assertThat(redis.state()).isEqualTo(State.READY);
    assertThat(http.state()).isEqualTo(State.READY);
  }

  @Test
  void aTreeSnapshotShowsEveryLevel() {
    steps.addOptional(
        new RecordingSystem("ner", journal)
            .failingOn(Transition.ACTIVATE, new IllegalStateException("model file missing")));
    processor.activate();
    processor.start();

    LifecycleSnapshot snapshot = processor.snapshot();

    assertThat(snapshot.children())
        .extracting(LifecycleSnapshot::name)
        .containsExactly("redis", "steps", "http");
    assertThat(snapshot.children().get(1).children())
        .containsExactly(
            new LifecycleSnapshot("ner", State.DISABLED, "model file missing", List.of()));
  }

  @Test
  void suspendingTheRootSuspendsTheWholeTree() {
    RecordingSystem ner = steps.add(new RecordingSystem("ner", journal));
    processor.activate();
    processor.start();

    processor.suspend();

    assertThat(List.of(processor, redis, steps, ner, http))
        .allSatisfy(system -> assertThat(system.state()).isEqualTo(State.INTERMITTED));
  }
}
