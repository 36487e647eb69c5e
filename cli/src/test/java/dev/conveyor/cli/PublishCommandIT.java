package dev.conveyor.cli;

import static dev.conveyor.cli.test.CliRun.run;
import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.cli.test.CliRun;
import dev.conveyor.cli.test.OperatorFixture;
import dev.conveyor.common.config.Env;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code conveyor publish} in-process against a real Redis: a file or stdin to a stream. */
@WithServices
class PublishCommandIT {
  private static OperatorFixture fixture;

  @BeforeAll
  static void setUp(@TempDir Path dir) throws IOException {
    fixture = OperatorFixture.create(dir);
  }

  @Test
  void publishSendsGoodLinesAndReportsBadOnesWithTheirLineNumbers(
      TestServices services, @TempDir Path dir) throws IOException {
    Path file = dir.resolve("in.jsonl");
    Files.writeString(
        file,
        """
        {"id": "pub-1", "pipeline": "flow", "payload": {"text": "one"}}
        not json
        {"pipeline": "flow", "payload": {"text": "two"}}

        {"id": "pub-3", "pipeline": "flow", "payload": "not an object"}
        {"id": "pub-4", "payload": {}}
        """);
    String stream = services.keys().namespace() + ":pubtest";

    CliRun r = run(fixture.env(services), "publish", file.toString(), "--stream", stream);

    assertThat(r.out().lines()).containsExactly("published 2, skipped 3 bad lines");
    assertThat(r.code()).isEqualTo(Conveyor.EXIT_NOT_FOUND);
    assertThat(r.err().lines())
        .hasSize(3)
        .anySatisfy(l -> assertThat(l).startsWith("conveyor: line 2: not JSON"))
        .contains(
            "conveyor: line 5: no \"payload\" object", "conveyor: line 6: no \"pipeline\" string");
    var entries = services.jedis().xrange(stream, "-", "+");
    assertThat(entries).hasSize(2);
    assertThat(entries.get(0).getFields())
        .containsExactly(
            Map.entry("id", "pub-1"),
            Map.entry("pipeline", "flow"),
            Map.entry("payload", "{\"text\":\"one\"}"));
    assertThat(entries.get(1).getFields()).doesNotContainKey("id");
  }

  @Test
  void publishReadsStdinAndAGoodFileIsExitCodeZero(TestServices services) {
    String stream = services.keys().namespace() + ":stdin";
    byte[] input =
        "{\"id\":\"s-1\",\"pipeline\":\"flow\",\"payload\":{}}\n".getBytes(StandardCharsets.UTF_8);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code;
    try (CliContext context = new CliContext(Env.of(fixture.env(services)))) {
      code =
          Conveyor.commandLine(
                  context,
                  new PrintWriter(out, true),
                  new PrintWriter(err, true),
                  () -> new ByteArrayInputStream(input),
                  false)
              .execute("publish", "-", "--stream", stream);
    }
    assertThat(code).isEqualTo(Conveyor.EXIT_OK);
    assertThat(out.toString().lines()).containsExactly("published 1, skipped 0 bad lines");
    assertThat(err.toString()).isEmpty();
    assertThat(services.jedis().xlen(stream)).isEqualTo(1);
  }

  @Test
  void aMissingFileIsAUsageError(TestServices services) {
    CliRun r = run(fixture.env(services), "publish", "/nonexistent/x.jsonl");

    assertThat(r.code()).isEqualTo(Conveyor.EXIT_USAGE);
    assertThat(r.err().lines().findFirst())
        .hasValue("conveyor: cannot read /nonexistent/x.jsonl: no such file");
  }
}
