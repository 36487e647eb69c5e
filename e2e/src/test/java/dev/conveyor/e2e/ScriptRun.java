package dev.conveyor.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One run of a script of the repository with bash, with only the environment given (no CONVEYOR_*
 * variable or JAVA_OPTS of the one Maven runs in): its exit code and its output, stderr included.
 */
record ScriptRun(int code, String out) {

  static ScriptRun bash(Map<String, String> env, String script, String... args)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("bash", Repo.root().resolve(script).toString()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().keySet().removeIf(k -> k.startsWith("CONVEYOR_") || k.equals("JAVA_OPTS"));
    pb.environment().putAll(env);
    Process p = pb.start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(20, TimeUnit.SECONDS)).as("%s finished", script).isTrue();
    return new ScriptRun(p.exitValue(), out);
  }
}
