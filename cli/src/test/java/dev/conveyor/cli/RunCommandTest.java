package dev.conveyor.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.common.config.Env;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code conveyor run}: a pipeline in this process, no Redis, no PostgreSQL. */
class RunCommandTest {

  @Test
  void runPrintsTheRowsSortedByTheSinkKeyAndReportsBadLines(@TempDir Path dir) throws Exception {
    Files.writeString(
        dir.resolve("echo.yaml"),
        """
        pipeline: echo
        version: 1
        steps:
          - {name: same, kind: java, class: dev.conveyor.runtime.step.builtin.Identity}
          - {name: deliver, kind: sink, after: same, sink: {table: t, key: [task_id, part]}}
        """);
    Path input = dir.resolve("in.jsonl");
    Files.writeString(
        input,
        """
        {"id": "b", "pipeline": "echo", "payload": {"text": "second"}}
        {"id": "a", "pipeline": "echo", "payload": {"text": "first"}}
        {"id": "c", "pipeline": "other", "payload": {"text": "not this pipeline"}}
        {"id": "d", "pipeline": "echo", "payload": "not an object"}
        not json
        """);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();

    int code =
        Conveyor.run(
            Env.of(Map.of("CONVEYOR_PIPELINES", dir.toString())),
            new PrintWriter(out),
            new PrintWriter(err),
            "run",
            "--pipeline",
            "echo",
            "--input",
            input.toString());

    assertThat(out.toString().lines())
        .containsExactly(
            "{\"text\":\"first\",\"task_id\":\"a\",\"part\":0}",
            "{\"text\":\"second\",\"task_id\":\"b\",\"part\":0}");
    assertThat(err.toString().lines())
        .containsExactly(
            "conveyor: input line 4 skipped: payload is not a JSON object",
            "conveyor: input line 5 skipped: not JSON: Unrecognized token 'not': was expecting"
                + " (JSON String, Number, Array, Object or token 'null', 'true' or 'false')");
    assertThat(code).isEqualTo(1);
  }

  @Test
  void anUnknownPipelineIsAUsageError(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("in.jsonl"), "");
    StringWriter err = new StringWriter();

    int code =
        Conveyor.run(
            Env.of(Map.of("CONVEYOR_PIPELINES", dir.toString())),
            new PrintWriter(new StringWriter()),
            new PrintWriter(err),
            "run",
            "--pipeline",
            "nope",
            "--input",
            dir.resolve("in.jsonl").toString());

    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("no pipeline 'nope'");
  }
}
