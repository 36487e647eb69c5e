package dev.conveyor.cli;

import dev.conveyor.common.daemon.NodeBeat;
import dev.conveyor.common.daemon.NodeReader;
import dev.conveyor.common.redis.GroupState;
import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.redis.StreamGroup;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.Pipelines;
import dev.conveyor.runtime.pipeline.StepDef;
import dev.conveyor.runtime.records.DeadItemRepository;
import dev.conveyor.runtime.status.BacklogReader;
import dev.conveyor.runtime.status.StepBacklog;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import redis.clients.jedis.UnifiedJedis;

/**
 * {@code conveyor status [--json]}: the daemons (from their heartbeats), the inbox, and per
 * pipeline the tasks in flight against {@code max_in_flight} and per step the backlog (waiting,
 * pending, retrying — what patrol's {@code /status} shows, read the same way) and the dead items in
 * PostgreSQL. Rates are not shown: the processors count items in their own {@code /metrics} ({@code
 * conveyor_processor_items_total}), nothing in Redis holds them.
 */
@Command(
    name = "status",
    description = {
      "The daemons (heartbeats), the inbox, tasks in flight per pipeline, and per step its backlog"
          + " (waiting, pending, retrying) and dead items.",
    },
    exitCodeListHeading = Conveyor.EXIT_CODES,
    exitCodeList = {
      "0:done",
      Conveyor.USAGE_ERROR_LINE,
      Conveyor.UNREACHABLE_LINE,
      Conveyor.INTERNAL_ERROR_LINE
    })
final class StatusCommand implements Callable<Integer> {
  /** A live node whose last beat is older than this (two beats) is flagged stale. */
  static final Duration STALE_AFTER = Duration.ofSeconds(10);

  private final CliContext context;
  private final Clock clock;

  @Mixin private CommandIo io;

  @Option(names = "--json", description = "print the status as one JSON object")
  private boolean json;

  StatusCommand(CliContext context, Clock clock) {
    this.context = context;
    this.clock = clock;
  }

  @Override
  public Integer call() {
    Pipelines pipelines = context.pipelines();
    UnifiedJedis redis = context.redis();
    Keys keys = context.keys();
    Map<String, Map<String, Long>> dead = new DeadItemRepository(context.postgres()).countByStep();
    Instant now = clock.instant();

    List<Map<String, Object>> nodes = new ArrayList<>();
    List<NodeBeat> beats = new ArrayList<>(new NodeReader(keys).read(redis));
    // why: as patrol lists them: live nodes first, then by role and id
    beats.sort(
        Comparator.comparing((NodeBeat n) -> !n.live())
            .thenComparing(NodeBeat::role, Comparator.nullsLast(Comparator.naturalOrder()))
            .thenComparing(NodeBeat::id));
    for (NodeBeat n : beats) {
      Map<String, Object> node = new LinkedHashMap<>();
      Duration age = Duration.between(n.lastBeat(), now);
      node.put("node", n.id());
      node.put("role", n.role());
      node.put("state", n.state());
      node.put("http", n.http().orElse(null));
      node.put("last_beat", n.lastBeat().toString());
      node.put("beat_age_s", Math.max(0, age.toSeconds()));
      node.put("live", n.live());
      node.put("stale", n.live() && age.compareTo(STALE_AFTER) > 0);
      nodes.add(node);
    }

    GroupState inbox =
        new StreamGroup(context.inboxRedis(), keys.inbox(), Keys.DISPATCHER_GROUP).state();
    BacklogReader reader = new BacklogReader(pipelines, keys);
    Map<String, Long> inflight = reader.inflight(redis);
    List<StepBacklog> backlog = reader.steps(redis);
    List<Map<String, Object>> byPipeline = new ArrayList<>();
    boolean held = false;
    for (Pipeline p : pipelines.all()) {
      Map<String, Object> pipeline = new LinkedHashMap<>();
      long n = inflight.getOrDefault(p.name(), 0L);
      boolean atLimit = n >= p.maxInFlight();
      held |= atLimit;
      pipeline.put("pipeline", p.name());
      pipeline.put("version", p.version());
      pipeline.put("in_flight", n);
      pipeline.put("max_in_flight", p.maxInFlight());
      pipeline.put("at_limit", atLimit);
      List<Map<String, Object>> steps = new ArrayList<>();
      for (StepDef s : p.steps()) {
        List<StepBacklog> shards =
            backlog.stream()
                .filter(b -> b.pipeline().equals(p.name()) && b.step().equals(s.name()))
                .toList();
        Map<String, Object> step = new LinkedHashMap<>();
        step.put("step", s.name());
        step.put("shards", s.shards());
        step.put("waiting", shards.stream().mapToLong(StepBacklog::waiting).sum());
        step.put("pending", shards.stream().mapToLong(StepBacklog::pending).sum());
        step.put("retrying", shards.stream().mapToLong(StepBacklog::retrying).sum());
        step.put("backlog", shards.stream().mapToLong(StepBacklog::total).sum());
        step.put("dead", dead.getOrDefault(p.name(), Map.of()).getOrDefault(s.name(), 0L));
        steps.add(step);
      }
      pipeline.put("steps", steps);
      byPipeline.add(pipeline);
    }
    Map<String, Object> status = new LinkedHashMap<>();
    status.put("nodes", nodes);
    Map<String, Object> intake = new LinkedHashMap<>();
    intake.put("stream", inbox.stream());
    intake.put("length", inbox.length());
    intake.put("lag", inbox.lag());
    intake.put("pending", inbox.pending());
    intake.put("held", held);
    status.put("inbox", intake);
    status.put("pipelines", byPipeline);

    if (json) {
      io.printJson(status);
    } else {
      text(status).forEach(io.out()::println);
    }
    return Conveyor.EXIT_OK;
  }

  @SuppressWarnings("unchecked")
  static List<String> text(Map<String, Object> status) {
    List<String> lines = new ArrayList<>();
    Table nodes = new Table().row("ROLE", "NODE", "STATE", "BEAT", "HTTP");
    for (Map<String, Object> n : (List<Map<String, Object>>) status.get("nodes")) {
      String beat = n.get("beat_age_s") + "s ago";
      if (!(Boolean) n.get("live")) {
        beat += " DEAD";
      } else if ((Boolean) n.get("stale")) {
        beat += " STALE";
      }
      nodes.row(n.get("role"), n.get("node"), n.get("state"), beat, n.get("http"));
    }
    lines.add("nodes");
    lines.addAll(nodes.isEmpty() ? List.of("  (no heartbeats)") : nodes.lines("  "));
    Map<String, Object> inbox = (Map<String, Object>) status.get("inbox");
    lines.add(
        "inbox     "
            + inbox.get("length")
            + " entries, "
            + inbox.get("lag")
            + " not read, "
            + inbox.get("pending")
            + " pending; intake "
            + ((Boolean) inbox.get("held") ? "HELD (a pipeline is at max_in_flight)" : "open"));
    for (Map<String, Object> p : (List<Map<String, Object>>) status.get("pipelines")) {
      lines.add(
          "pipeline  "
              + p.get("pipeline")
              + " v"
              + p.get("version")
              + ": "
              + p.get("in_flight")
              + " tasks in flight (max "
              + p.get("max_in_flight")
              + ")"
              + ((Boolean) p.get("at_limit") ? " AT LIMIT" : ""));
      Table steps = new Table().row("STEP", "WAITING", "PENDING", "RETRYING", "DEAD");
      for (Map<String, Object> s : (List<Map<String, Object>>) p.get("steps")) {
        steps.row(
            s.get("step"), s.get("waiting"), s.get("pending"), s.get("retrying"), s.get("dead"));
      }
      lines.addAll(steps.lines("  "));
    }
    return lines;
  }
}
