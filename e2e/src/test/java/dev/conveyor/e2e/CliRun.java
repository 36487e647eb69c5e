package dev.conveyor.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One run of {@code deploy/bin/conveyor} as a process, with only the environment given (not the one
 * Maven runs in nor a developer's {@code deploy/.env}): its exit code and its output lines.
 */
record CliRun(int code, List<String> out, List<String> err) {

  /** Runs the CLI with {@code args}; {@code dir} holds its captured output. */
  static CliRun run(Map<String, String> env, Path dir, String... args)
      throws IOException, InterruptedException {
    Path out = dir.resolve("out.txt");
    Path err = dir.resolve("err.txt");
    List<String> command = new ArrayList<>();
    command.add(Repo.root().resolve("deploy/bin/conveyor").toString());
    command.addAll(List.of(args));
    ProcessBuilder pb =
        new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
    pb.environment().keySet().removeIf(name -> name.startsWith("CONVEYOR_"));
    pb.environment().put("CONVEYOR_ENV_FILE", dir.resolve("no.env").toString());
    pb.environment().putAll(env);
    Process p = pb.start();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("deploy/bin/conveyor " + String.join(" ", args) + " did not exit");
    }
    return new CliRun(
        p.exitValue(),
        Files.readAllLines(out, StandardCharsets.UTF_8),
        Files.readAllLines(err, StandardCharsets.UTF_8));
  }
}
