package dev.conveyor.runtime.work;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.runtime.ledger.QueueItem;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.PipelineLoader;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What a {@code java} step's outputs say about themselves: whose content is checked already. */
class JavaStepWorkTest {
  private static final Pipeline PIPELINE =
      PipelineLoader.parse(
          """
          pipeline: same
          version: 1
          steps:
            - {name: same, kind: java, class: dev.conveyor.runtime.step.builtin.Identity}
          """,
          "same.yaml");

  private final JavaStepWork work =
      new JavaStepWork(PIPELINE, PIPELINE.step("same").orElseThrow(), Map.of());

  @AfterEach
  void close() {
    work.close();
  }

  @Test
  void anOutputOfStringsIntegersAndBooleansIsMarkedStorableAndTheRestIsLeftToTheTextCheck() {
    work.start();
    List<ItemResult> results =
        work.process(
            List.of(
                item(
                    0, "{\"text\":\"a \\ud83d\\ude00\",\"n\":[1,-2,9007199254740993],\"ok\":true}"),
                item(1, "{\"f\":1.50}"),
                item(2, "{\"text\":\"x\\u0000\"}"),
                item(3, "[\"\\ud800\"]"),
                item(4, "123456789012345678901234567890")));

    assertThat(results)
        .extracting(r -> ((ItemResult.Output) r).storable())
        .containsExactly(true, false, false, false, false);
    assertThat(((ItemResult.Output) results.getFirst()).value())
        .isEqualTo("{\"text\":\"a \ud83d\ude00\",\"n\":[1,-2,9007199254740993],\"ok\":true}");
  }

  private static WorkItem item(int part, String input) {
    return new WorkItem(QueueItem.unqueued("t-1", part), input);
  }
}
