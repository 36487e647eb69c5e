package dev.conveyor.runtime.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.common.daemon.NodeBeat;
import dev.conveyor.common.daemon.NodeReader;
import dev.conveyor.common.lifecycle.State;
import dev.conveyor.common.redis.Keys;
import dev.conveyor.runtime.ledger.QueuedMessages;
import dev.conveyor.runtime.ledger.TaskLookup;
import dev.conveyor.runtime.ledger.TaskReport;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.Pipelines;
import dev.conveyor.runtime.records.DeadItem;
import dev.conveyor.runtime.records.DeadItemRepository;
import dev.conveyor.runtime.records.RejectedMessage;
import dev.conveyor.runtime.records.RejectedMessageRepository;
import dev.conveyor.runtime.records.TaskAuditRepository;
import dev.conveyor.runtime.status.BacklogReader;
import dev.conveyor.runtime.status.StepBacklog;
import java.io.IOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.resps.StreamGroupInfo;

/** Reads what the console pages show; read-only, one call per page. */
final class ConsoleData {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final int LIST_LIMIT = 200;

  /** Inbox entries one task page of a message not yet a task reads at most (as patrol's). */
  static final int QUEUED_SCAN_LIMIT = 10_000;

  private final ConsoleSources sources;
  private final NodeHttp http;

  ConsoleData(ConsoleSources sources, NodeHttp http) {
    this.sources = sources;
    this.http = http;
  }

  /** The inbox's consumer group of the dispatchers: entries not yet read and not yet acked. */
  record InboxLag(long lag, long pending) {}

  /** A step's backlog summed over its shards. */
  record StepLoad(long waiting, long pending, long retrying) {}

  /** Everything the overview shows. */
  record Overview(
      Instant now,
      List<NodeBeat> nodes,
      Optional<InboxLag> inbox,
      List<Pipeline> pipelines,
      Map<String, Long> inflight,
      Map<String, StepLoad> load,
      Map<String, Map<String, Long>> dead,
      Map<String, String> stepStates,
      Map<String, Double> rates,
      Map<String, Double> p99) {}

  Overview overview(Instant now, StepRates rates, StepTimes times) throws InterruptedException {
    UnifiedJedis redis = sources.redis();
    List<NodeBeat> nodes = new NodeReader(sources.keys()).read(redis);
    BacklogReader backlog = new BacklogReader(sources.pipelines(), sources.keys());
    Map<String, StepLoad> load = new LinkedHashMap<>();
    for (StepBacklog b : backlog.steps(redis)) {
      load.merge(
          b.pipeline() + "." + b.step(),
          new StepLoad(b.waiting(), b.pending(), b.retrying()),
          (x, y) ->
              new StepLoad(
                  x.waiting() + y.waiting(),
                  x.pending() + y.pending(),
                  x.retrying() + y.retrying()));
    }
    Metrics metrics = processorMetrics(nodes);
    return new Overview(
        now,
        nodes,
        sources.inbox().flatMap(this::inboxLag),
        sources.pipelines().all(),
        backlog.inflight(redis),
        load,
        new DeadItemRepository(sources.pg()).countByStep(),
        stepStates(nodes),
        rates.update(now, metrics.items()),
        times.update(now, metrics.itemTimes()));
  }

  private Optional<InboxLag> inboxLag(UnifiedJedis inbox) {
    try {
      for (StreamGroupInfo g : inbox.xinfoGroups(sources.keys().inbox())) {
        if (Keys.DISPATCHER_GROUP.equals(g.getName())) {
          Object lag = g.getGroupInfo().get("lag");
          return Optional.of(
              new InboxLag(lag instanceof Number n ? n.longValue() : -1, g.getPending()));
        }
      }
      return Optional.empty();
    } catch (JedisDataException e) {
      // why: no inbox stream yet (nothing was ever published)
      return Optional.empty();
    }
  }

  /** Each step's state (RUNNING, INTERMITTED...) as the first live processor reports it. */
  private Map<String, String> stepStates(List<NodeBeat> nodes) throws InterruptedException {
    for (NodeBeat n : nodes) {
      if (n.live() && "processor".equals(n.role()) && n.http().isPresent()) {
        NodeHttp.Answer a = http.get(n.http().get(), "/status");
        if (!a.ok()) {
          continue;
        }
        try {
          JsonNode steps = JSON.readTree(a.body()).path("steps");
          Map<String, String> states = new LinkedHashMap<>();
          steps.properties().forEach(e -> states.put(e.getKey(), e.getValue().asText()));
          return states;
        } catch (IOException e) {
          continue;
        }
      }
    }
    return Map.of();
  }

  /**
   * What the overview reads from the processors' {@code /metrics}.
   *
   * @param items the items counter summed over the live processors, by pipeline.step
   * @param itemTimes the item time histogram's buckets of each running processor (by node id and
   *     start time, so that a restart is a new processor), by pipeline.step
   */
  private record Metrics(
      Map<String, Double> items,
      Map<String, Map<String, NavigableMap<Double, Double>>> itemTimes) {}

  private Metrics processorMetrics(List<NodeBeat> nodes) throws InterruptedException {
    Map<String, Double> totals = new LinkedHashMap<>();
    Map<String, Map<String, NavigableMap<Double, Double>>> times = new LinkedHashMap<>();
    for (NodeBeat n : nodes) {
      if (n.live() && "processor".equals(n.role()) && n.http().isPresent()) {
        NodeHttp.Answer a = http.get(n.http().get(), "/metrics");
        if (a.ok()) {
          StepRates.addScrape(a.body(), totals);
          if (State.RUNNING.name().equals(n.state())) {
            times.put(n.id() + "@" + n.startedAt(), StepTimes.parse(a.body()));
          }
        }
      }
    }
    return new Metrics(totals, times);
  }

  /**
   * Where the task or message with this id stands: a task, else a message still in the inbox (when
   * this daemon has a client of it), else a rejected one.
   */
  Optional<Map<String, Object>> task(String id) {
    Pipelines pipelines = sources.pipelines();
    TaskLookup lookup = new TaskLookup(sources.redis(), sources.keys());
    TaskAuditRepository audit = new TaskAuditRepository(sources.pg());
    DeadItemRepository dead = new DeadItemRepository(sources.pg());
    TaskReport report =
        sources
            .inbox()
            .map(inbox ->
                new TaskReport(
                    pipelines,
                    lookup,
                    audit,
                    dead,
                    new RejectedMessageRepository(sources.pg()),
                    new QueuedMessages(inbox, sources.keys(), QUEUED_SCAN_LIMIT)))
            .orElseGet(() -> new TaskReport(pipelines, lookup, audit, dead));
    return report.status(id);
  }

  /** Whether {@link #task} looks for the id among the messages still in the inbox. */
  boolean readsInbox() {
    return sources.inbox().isPresent();
  }

  List<DeadItem> deadItems(String taskId, String pipeline, String step) {
    return new DeadItemRepository(sources.pg()).list(taskId, pipeline, step, LIST_LIMIT);
  }

  List<RejectedMessage> rejected(String reason, String pipeline, String taskId) {
    return new RejectedMessageRepository(sources.pg()).list(reason, pipeline, taskId, LIST_LIMIT);
  }
}
