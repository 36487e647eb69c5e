package dev.conveyor.cli;

import dev.conveyor.common.daemon.NodeBeat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * {@code conveyor suspend|resume DAEMON|PIPELINE.STEP}: calls the daemons' control routes at the
 * HTTP address of their heartbeats, with the admin token of the CLI's environment. DAEMON is a kind
 * ({@code dispatcher}, {@code processor}, {@code patrol}: every live node of it) or a node id;
 * anything else with a dot is a step, suspended or resumed for the whole cluster through one live
 * processor ({@code POST /steps/<pipeline>.<step>/suspend}). Exit {@value Conveyor#EXIT_NOT_FOUND}
 * when no live node matched or a daemon refused (409: not in a state to do it; 404: no such step).
 */
@Command(
    description = {
      "Suspend or resume a daemon (a kind: dispatcher, processor, patrol — every live node of it —"
          + " or one node id) or a step (PIPELINE.STEP, for the whole cluster).",
      "Sends CONVEYOR_ADMIN_TOKEN when it is set.",
    },
    exitCodeListHeading = Conveyor.EXIT_CODES,
    exitCodeList = {
      "0:every node matched did it",
      "1:no live node matched, or a node refused (no such step, wrong state)",
      "2:usage or configuration error; the admin token is missing or wrong (401/403)",
      "3:Redis or a daemon's HTTP unreachable",
      Conveyor.INTERNAL_ERROR_LINE
    })
final class ControlCommand implements Callable<Integer> {
  private static final Set<String> KINDS = Set.of("dispatcher", "processor", "patrol");

  private final CliContext context;
  private final String action;

  @Mixin private CommandIo io;

  @Parameters(
      paramLabel = "DAEMON|PIPELINE.STEP",
      description = "dispatcher, processor, patrol, a node id, or a step as pipeline.step")
  private String target;

  /**
   * @param action {@code suspend} or {@code resume}
   */
  ControlCommand(CliContext context, String action) {
    this.context = context;
    this.action = action;
  }

  @Override
  public Integer call() {
    DaemonClient client = context.daemons();
    List<NodeBeat> live = context.nodes().stream().filter(NodeBeat::live).toList();
    List<NodeBeat> daemons =
        KINDS.contains(target)
            ? live.stream().filter(n -> target.equals(n.role())).toList()
            : live.stream().filter(n -> n.id().equals(target)).toList();
    boolean step = daemons.isEmpty() && !KINDS.contains(target) && target.contains(".");
    List<NodeBeat> targets =
        step
            ? live.stream()
                .filter(n -> "processor".equals(n.role()) && n.http().isPresent())
                .limit(1)
                .toList()
            : daemons;
    if (targets.isEmpty()) {
      io.problem(
          step
              ? "no live processor with HTTP to " + action + " step " + target
              : "no live node matches " + target);
      return Conveyor.EXIT_NOT_FOUND;
    }
    int code = Conveyor.EXIT_OK;
    for (NodeBeat n : targets) {
      if (n.http().isEmpty()) {
        io.problem("node " + n.id() + " has no HTTP (CONVEYOR_HTTP_PORT=0)");
        code = Conveyor.EXIT_NOT_FOUND;
        continue;
      }
      String path = step ? "/steps/" + target + "/" + action : "/" + action;
      DaemonClient.Answer a = client.post(n.id(), n.http().get(), path, "");
      if (a.ok()) {
        io.out()
            .println((step ? "step " + target : n.role() + " " + n.id()) + ": " + a.field("state"));
      } else {
        io.problem(n.id() + " refused " + action + " (" + a.status() + "): " + a.field("error"));
        code = Conveyor.EXIT_NOT_FOUND;
      }
    }
    return code;
  }
}
