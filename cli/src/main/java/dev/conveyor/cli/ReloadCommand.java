package dev.conveyor.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.conveyor.common.daemon.NodeBeat;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code conveyor reload [--step PIPELINE.STEP]}: asks every RUNNING processor of the heartbeats to
 * replace the workers of its command steps ({@code POST /reload}, with the admin token of the CLI's
 * environment), so that they run the program and resource files as they are on disk now. Prints one
 * line per processor and step: {@code reloaded}, or {@code kept} when the new program did not start
 * (the old workers go on; the processor's log says why).
 */
@Command(
    name = "reload",
    description = {
      "Replace the workers of command steps on every running processor, so that they run the"
          + " program and resource files as they are on disk now (in-flight batches finish on the"
          + " old workers).",
      "Sends CONVEYOR_ADMIN_TOKEN when it is set.",
    },
    exitCodeListHeading = Conveyor.EXIT_CODES,
    exitCodeList = {
      "0:every processor reloaded every step asked",
      "1:no running processor, a processor refused (no such step, not a command step), or a new"
          + " program did not start (kept)",
      "2:usage or configuration error; the admin token is missing or wrong (401/403)",
      "3:Redis or a processor's HTTP unreachable",
      Conveyor.INTERNAL_ERROR_LINE
    })
final class ReloadCommand implements Callable<Integer> {
  private final CliContext context;

  @Mixin private CommandIo io;

  @Option(
      names = "--step",
      paramLabel = "PIPELINE.STEP",
      description = "only this command step (default: every command step)")
  private String step;

  ReloadCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() {
    DaemonClient client = context.daemons();
    List<NodeBeat> processors =
        context.nodes().stream()
            .filter(NodeBeat::live)
            .filter(n -> "processor".equals(n.role()) && "RUNNING".equals(n.state()))
            .toList();
    if (processors.isEmpty()) {
      io.problem("no running processor to reload");
      return Conveyor.EXIT_NOT_FOUND;
    }
    String path =
        step == null
            ? "/reload"
            : "/reload?step=" + URLEncoder.encode(step, StandardCharsets.UTF_8);
    int code = Conveyor.EXIT_OK;
    for (NodeBeat n : processors) {
      if (n.http().isEmpty()) {
        io.problem("node " + n.id() + " has no HTTP (CONVEYOR_HTTP_PORT=0)");
        code = Conveyor.EXIT_NOT_FOUND;
        continue;
      }
      DaemonClient.Answer a = client.post(n.id(), n.http().get(), path, "");
      if (!a.ok()) {
        io.problem(n.id() + " refused reload (" + a.status() + "): " + a.field("error"));
        code = Conveyor.EXIT_NOT_FOUND;
        continue;
      }
      JsonNode steps = a.json().path("steps");
      if (steps.isEmpty()) {
        io.out().println("processor " + n.id() + ": no command step running");
      }
      for (Map.Entry<String, JsonNode> s : steps.properties()) {
        io.out()
            .println("processor " + n.id() + " step " + s.getKey() + ": " + s.getValue().asText());
        if (!"reloaded".equals(s.getValue().asText())) {
          code = Conveyor.EXIT_NOT_FOUND;
        }
      }
    }
    return code;
  }
}
