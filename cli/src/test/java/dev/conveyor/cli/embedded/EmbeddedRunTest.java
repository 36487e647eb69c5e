package dev.conveyor.cli.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.PipelineLoader;
import dev.conveyor.runtime.resource.SharedResources;
import java.util.List;
import org.junit.jupiter.api.Test;

class EmbeddedRunTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void aOneStepPipelineDeliversEachPayloadAsARowWithTaskAndPart() throws Exception {
    Pipeline echo =
        PipelineLoader.parse(
            """
            pipeline: echo
            version: 1
            steps:
              - {name: same, kind: java, class: dev.conveyor.runtime.step.builtin.Identity}
              - {name: deliver, kind: sink, after: same, sink: {table: t, key: [task_id, part]}}
            """,
            "echo.yaml");
    try (EmbeddedRun run = new EmbeddedRun(echo, new SharedResources()).start()) {
      EmbeddedRun.Result result =
          run.run(List.of(input("b", "{\"text\":\"second\"}"), input("a", "{\"text\":\"first\"}")));

      assertThat(result.rows())
          .extracting(ObjectNode::toString)
          .containsExactly(
              "{\"text\":\"first\",\"task_id\":\"a\",\"part\":0}",
              "{\"text\":\"second\",\"task_id\":\"b\",\"part\":0}");
    }
  }

  @Test
  void aGatheringStepSeesEveryPartAndDeadPartsAfterTheirRetries() throws Exception {
    Pipeline counted =
        PipelineLoader.parse(
            """
            pipeline: counted
            version: 1
            split: {mode: text, max_chars: 50}
            steps:
              - {name: words, kind: java, class: dev.conveyor.cli.embedded.Words, retry: {attempts: 2}}
              - {name: total, kind: java, class: dev.conveyor.cli.embedded.Total, after: words, scope: task}
              - {name: deliver, kind: sink, after: total, sink: {table: t, key: [task_id]}}
            """,
            "counted.yaml");
    String text =
        "alpha beta gamma delta epsilon zeta eta theta. boom boom boom boom boom boom boom boom. iota kappa lambda mu.";
    try (EmbeddedRun run = new EmbeddedRun(counted, new SharedResources()).start()) {
      EmbeddedRun.Result result =
          run.run(
              List.of(input("t1", "{\"text\":\"" + text + "\"}"), input("t2", "{\"no_text\":1}")));

      assertThat(result.rows()).hasSize(1);
      assertThat(result.rows().getFirst().get("words").asInt()).isEqualTo(12);
      assertThat(result.rows().getFirst().get("dead").asInt()).isEqualTo(1);
      assertThat(result.dead())
          .containsExactly(new EmbeddedRun.Dead("t1", 1, "words", "no words in boom"));
      assertThat(result.unsplittable())
          .extracting(EmbeddedRun.Unsplittable::taskId)
          .containsExactly("t2");
    }
  }

  private static EmbeddedRun.Input input(String id, String payload) throws Exception {
    return new EmbeddedRun.Input(id, (ObjectNode) JSON.readTree(payload));
  }
}
