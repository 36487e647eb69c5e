package dev.conveyor.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.conveyor.common.daemon.NodeBeat;
import java.io.PrintWriter;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code conveyor replay --task ID | --pipeline P [--step S] | --rejected [--reason R] [--dry-run]
 * [--json]}: re-enqueues dead items after a fix, or publishes rejected messages again. It runs in
 * patrol ({@code POST /replay}, found through patrol's heartbeat), not in the CLI, so that the
 * daemons' admin token is really checked: the CLI sends {@code CONVEYOR_ADMIN_TOKEN} from its
 * environment. Only the patrol holding the lease replays; another answers 409 naming the holder,
 * and the CLI sends the replay there (at most {@value #MAX_HOPS} tries in all). Exit {@value
 * Conveyor#EXIT_NOT_FOUND} when nothing matched or something was skipped (e.g. a task patrol
 * already cleaned up); {@value Conveyor#EXIT_UNREACHABLE} when no live patrol with HTTP answers.
 */
@Command(
    name = "replay",
    description = {
      "Re-enqueue dead items of a task or a step after a fix, or publish rejected messages again"
          + " (e.g. after their pipeline was added). Runs in patrol (POST /replay), which checks"
          + " CONVEYOR_ADMIN_TOKEN.",
    },
    exitCodeListHeading = Conveyor.EXIT_CODES,
    exitCodeList = {
      "0:everything that matched was replayed",
      "1:nothing matched, or some items were skipped (each on stderr)",
      "2:usage or configuration error; the admin token is missing or wrong",
      "3:Redis unreachable, no live patrol with HTTP answers, or none holds the lease",
      Conveyor.INTERNAL_ERROR_LINE
    })
final class ReplayCommand implements Callable<Integer> {
  /** How often a replay follows a patrol's 409 to the lease holder it names. */
  static final int MAX_HOPS = 3;

  /** States of a patrol that stopped cleanly within its heartbeat's last minute. */
  private static final Set<String> STOPPED = Set.of("COMPLETED", "TERMINATED");

  private final CliContext context;

  @Mixin private CommandIo io;

  @ArgGroup(multiplicity = "1")
  private Selection selection;

  static final class Selection {
    @Option(
        names = "--task",
        paramLabel = "ID",
        required = true,
        description = "dead items of this task")
    String task;

    @ArgGroup(exclusive = false)
    StepSelection step;

    @ArgGroup(exclusive = false)
    RejectedSelection rejected;
  }

  static final class StepSelection {
    @Option(
        names = "--pipeline",
        paramLabel = "P",
        required = true,
        description = "dead items of this pipeline")
    String pipeline;

    @Option(names = "--step", paramLabel = "S", description = "only of this step")
    String step;
  }

  static final class RejectedSelection {
    @Option(names = "--rejected", required = true, description = "rejected messages")
    boolean rejected;

    @Option(names = "--reason", paramLabel = "R", description = "only with this reason")
    String reason;
  }

  @Option(names = "--dry-run", description = "list what would be replayed, change nothing")
  private boolean dryRun;

  @Option(names = "--json", description = "print patrol's answer as one JSON object")
  private boolean json;

  ReplayCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() {
    Map<String, Object> body = new LinkedHashMap<>();
    if (selection.task != null) {
      body.put("task", selection.task);
    } else if (selection.step != null) {
      body.put("pipeline", selection.step.pipeline);
      if (selection.step.step != null) {
        body.put("step", selection.step.step);
      }
    } else {
      body.put("rejected", true);
      if (selection.rejected.reason != null) {
        body.put("reason", selection.rejected.reason);
      }
    }
    body.put("dry_run", dryRun);
    DaemonClient client = context.daemons();
    List<NodeBeat> patrols =
        context.nodes().stream()
            .filter(n -> n.live() && "patrol".equals(n.role()) && n.http().isPresent())
            .filter(n -> !STOPPED.contains(String.valueOf(n.state())))
            .sorted(Comparator.comparing(NodeBeat::id))
            .toList();
    if (patrols.isEmpty()) {
      throw new ServiceUnreachableException(
          "no live patrol with HTTP in the heartbeats: replay runs in patrol"
              + " (is it running, with CONVEYOR_HTTP_PORT not 0?)");
    }
    // why: only the patrol holding the lease replays (its cleanup and a replay lock the same rows
    // in PostgreSQL); any other answers 409 naming the holder, and the replay goes there
    String request = CommandIo.json(body);
    NodeBeat patrol = patrols.getFirst();
    DaemonClient.Answer a = client.post(patrol.id(), patrol.http().get(), "/replay", request);
    for (int hop = 1; a.status() == 409 && hop < MAX_HOPS; hop++) {
      String holder = a.json().path("holder").asText("");
      Optional<NodeBeat> next = patrols.stream().filter(n -> n.id().equals(holder)).findFirst();
      if (next.isEmpty()) {
        break;
      }
      patrol = next.get();
      a = client.post(patrol.id(), patrol.http().get(), "/replay", request);
    }
    if (a.status() == 400) {
      throw io.usageError(a.json().path("error").asText());
    }
    if (a.status() == 409) {
      io.problem(
          "patrol "
              + patrol.id()
              + " refused the replay: "
              + a.json().path("error").asText(a.body()));
      return Conveyor.EXIT_UNREACHABLE;
    }
    if (!a.ok()) {
      io.problem("patrol " + patrol.id() + " failed the replay (" + a.status() + "): " + a.body());
      return Conveyor.EXIT_UNREACHABLE;
    }
    PrintWriter out = io.out();
    JsonNode answer = a.json();
    long replayed = answer.path("replayed").asLong();
    long skipped = answer.path("skipped").asLong();
    if (json) {
      out.println(answer.toString());
    }
    for (JsonNode item : answer.path("items")) {
      String what =
          "dead".equals(item.path("kind").asText())
              ? "dead item "
                  + item.path("task_id").asText()
                  + " part "
                  + (item.path("part").asInt() < 0 ? "task" : item.path("part").asText())
                  + " at "
                  + item.path("pipeline").asText()
                  + "."
                  + item.path("step").asText()
              : "rejected message "
                  + item.path("stream_id").asText()
                  + " ("
                  + item.path("reason").asText()
                  + ")";
      if (item.has("skipped")) {
        io.problem("skipped " + what + ": " + item.path("skipped").asText());
      } else if (!json) {
        out.println((dryRun ? "would replay " : "replayed ") + what);
      }
    }
    if (!json) {
      out.println((dryRun ? "would replay " : "replayed ") + replayed + ", skipped " + skipped);
    }
    return replayed > 0 && skipped == 0 ? Conveyor.EXIT_OK : Conveyor.EXIT_NOT_FOUND;
  }
}
