package dev.conveyor.e2e;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conveyor.cli.Conveyor;
import dev.conveyor.common.config.Env;
import dev.conveyor.common.test.CapturedLog;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import dev.conveyor.processor.Processor;
import dev.conveyor.processor.ProcessorConfig;
import dev.conveyor.runtime.work.command.CommandWork;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code conveyor reload} in-process against a real processor (in-process too) with a command step:
 * found in the heartbeats, reached through {@code POST /reload} with the admin token; and the
 * processor's periodic check replacing the workers of a program changed on disk.
 */
@WithServices
class ReloadIT {
  private static final String TOKEN = "reload-admin-token";
  private static final String PROGRAM =
      """
      import json, sys
      for line in sys.stdin:
          item = json.loads(line)["input"]
          print(json.dumps({"ok": True, "data": {"v": %s, "item": item}}), flush=True)
      """;

  @Test
  void reloadReachesTheProcessorAndAChangedProgramIsReloadedByTheCheck(
      TestServices services, @TempDir Path dir) throws Exception {
    Path pipelines = Files.createDirectories(dir.resolve("pipelines"));
    Files.writeString(pipelines.resolve("v.py"), PROGRAM.formatted(1));
    Files.writeString(
        pipelines.resolve("reloadflow.yaml"),
        """
        pipeline: reloadflow
        version: 1
        steps:
          - {name: v, kind: command, command: [python3, v.py], offset: 200ms}
          - name: deliver
            kind: sink
            after: [v]
            offset: 200ms
            sink: {table: conveyor.echo_rows, key: [task_id, part]}
        """);
    String node = "reload-it-processor";
    Map<String, String> env = new HashMap<>(services.env());
    env.put("CONVEYOR_PIPELINES", pipelines.toString());
    env.put("CONVEYOR_REDIS_BLOCK", "200ms");
    env.put("CONVEYOR_HTTP_PORT", Integer.toString(Ports.free()));
    env.put("CONVEYOR_HTTP_HOST", "127.0.0.1");
    env.put("CONVEYOR_NODE_ID", node);
    env.put("CONVEYOR_ADMIN_TOKEN", TOKEN);
    env.put("CONVEYOR_RELOAD_CHECK", "200ms");
    Processor processor = new Processor(ProcessorConfig.from(Env.of(env)));
    try (var log = new CapturedLog(CommandWork.class)) {
      processor.activate();
      processor.start();
      // why: the first beat may still say READY; the next one, 5 s on, says RUNNING
      await()
          .atMost(15, SECONDS)
          .until(
              () -> "RUNNING".equals(services.jedis().hget(services.keys().node(node), "state")));
      Map<String, String> cli = new HashMap<>(services.env());
      cli.put("CONVEYOR_PIPELINES", pipelines.toString());
      Map<String, String> admin = new HashMap<>(cli);
      admin.put("CONVEYOR_ADMIN_TOKEN", TOKEN);

      Run noToken = run(cli, "reload");
      Run all = run(admin, "reload");
      Run one = run(admin, "reload", "--step", "reloadflow.v");
      Run sink = run(admin, "reload", "--step", "reloadflow.deliver");

      assertThat(noToken.code()).isEqualTo(Conveyor.EXIT_USAGE);
      assertThat(noToken.err()).contains("(401)");
      assertThat(all.code()).as(all.err()).isEqualTo(Conveyor.EXIT_OK);
      assertThat(all.out().lines())
          .containsExactly("processor " + node + " step reloadflow.v: reloaded");
      assertThat(one.code()).isEqualTo(Conveyor.EXIT_OK);
      assertThat(one.out().lines())
          .containsExactly("processor " + node + " step reloadflow.v: reloaded");
      assertThat(sink.code()).isEqualTo(Conveyor.EXIT_NOT_FOUND);
      assertThat(sink.err()).contains("(409)").contains("only command steps reload");
      assertThat(log.events("step_reloaded"))
          .hasSize(2)
          .allSatisfy(e ->
              assertThat(e)
                  .containsEntry("pipeline", "reloadflow")
                  .containsEntry("step", "v")
                  .containsEntry("reason", "requested")
                  .containsEntry("workers", 1));

      Path next = pipelines.resolve("v.py.next");
      Files.writeString(next, PROGRAM.formatted(2));
      Files.move(
          next,
          pipelines.resolve("v.py"),
          StandardCopyOption.ATOMIC_MOVE,
          StandardCopyOption.REPLACE_EXISTING);

      await()
          .atMost(10, SECONDS)
          .until(() ->
              log.events("step_reloaded").stream()
                  .anyMatch(e -> "program_changed".equals(e.get("reason"))));
      assertThat(log.events("step_reloaded")).hasSize(3);
    } finally {
      processor.shutdown();
    }
  }

  private record Run(int code, String out, String err) {}

  private static Run run(Map<String, String> env, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code =
        Conveyor.run(Env.of(env), new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new Run(code, out.toString(), err.toString());
  }
}
