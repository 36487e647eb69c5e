package dev.conveyor.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A daemon given a wrong value says so in one line and exits with code 2, before connecting. */
class BadConfigurationIT {

  @ParameterizedTest
  @ValueSource(strings = {"dispatcher", "processor", "patrol"})
  void aWrongValueIsOneLineAndExitCodeTwo(String daemon, @TempDir Path dir) throws Exception {
    Result r = run(daemon, dir, "CONVEYOR_HTTP_PORT", "eighty");

    assertThat(r.code()).isEqualTo(2);
    assertThat(r.lines()).hasSize(1);
    assertThat(r.lines().getFirst())
        .contains(" ERROR ")
        .contains("event=config_error")
        .contains("role=" + daemon)
        .contains("CONVEYOR_HTTP_PORT must be an integer from 0 to 65535, was 'eighty'");
  }

  @ParameterizedTest
  @ValueSource(strings = {"dispatcher", "processor", "patrol"})
  void aBadPipelineFileNamesTheFile(String daemon, @TempDir Path dir) throws Exception {
    Path pipelines = Files.createDirectories(dir.resolve("pipelines"));
    Files.writeString(
        pipelines.resolve("good.yaml"),
        "pipeline: good\nversion: 1\nsteps:\n  - {name: s, kind: sink, sink: {table: t, key: [k]}}\n");
    Files.writeString(
        pipelines.resolve("bad.yaml"),
        "pipeline: bad\nversion: 1\nsteps:\n  - {name: s, kind: sink, sink: {table: t}}\n");

    Result r = run(daemon, dir, "CONVEYOR_PIPELINES", pipelines.toString());

    assertThat(r.code()).isEqualTo(2);
    assertThat(r.lines()).hasSize(1);
    assertThat(r.lines().getFirst())
        .contains("event=config_error")
        .contains("bad.yaml: step 's': sink without a key");
  }

  private record Result(int code, List<String> lines) {}

  private static Result run(String daemon, Path dir, String variable, String value)
      throws IOException, InterruptedException {
    Path out = dir.resolve("out.log");
    ProcessBuilder pb =
        new ProcessBuilder(Repo.root().resolve("deploy/bin/run-local").toString(), daemon)
            .redirectErrorStream(true)
            .redirectOutput(out.toFile());
    pb.environment().put(variable, value);
    // why: nothing listens here; a daemon that got past its configuration would hang or fail later
    pb.environment().put("CONVEYOR_REDIS_URL", "redis://127.0.0.1:1");
    Process p = pb.start();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(daemon + " did not exit");
    }
    return new Result(p.exitValue(), Files.readAllLines(out, StandardCharsets.UTF_8));
  }
}
