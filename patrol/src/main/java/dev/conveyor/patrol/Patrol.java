package dev.conveyor.patrol;

import dev.conveyor.common.daemon.Daemon;
import dev.conveyor.common.daemon.PeriodicTask;
import dev.conveyor.common.daemon.PostgresSubsystem;
import dev.conveyor.common.daemon.RedisSubsystem;
import dev.conveyor.common.db.DeadItemRepository;
import dev.conveyor.common.db.RejectedMessageRepository;
import dev.conveyor.common.db.TaskAuditRepository;
import dev.conveyor.common.outage.Service;
import dev.conveyor.common.redis.RedisConnector.Endpoint;
import dev.conveyor.common.task.DeadItemReplay;
import dev.conveyor.common.task.DeadLetters;
import dev.conveyor.common.task.RejectedReplay;
import dev.conveyor.common.task.ReplayHandler;
import dev.conveyor.common.task.TaskCompletion;
import dev.conveyor.common.task.TaskReport;
import dev.conveyor.common.task.TaskStore;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Daemon 3: makes the trio trustworthy when nobody watches. Subsystems: http (also {@code GET
 * /tasks/<id>} and {@code POST /replay}), redis, inbox, postgres, quartz (a client of the
 * processors' Quartz store that never runs jobs), patrol (the round: backlog, and under the lease
 * the completeness audit with re-drive, the cleanup, chain repair, node liveness, reclaim and
 * stream trimming), heartbeat.
 */
public final class Patrol extends Daemon {
  /** How long after Redis is back the daemons' heartbeats are judged again: three beats. */
  private static final Duration HEARTBEATS_BACK = Duration.ofSeconds(15);

  private final PatrolConfig config;
  private final RedisSubsystem redis;
  private final RedisSubsystem inboxRedis;
  private final PostgresSubsystem postgres;
  private final BacklogReport backlog;
  private final Clock clock = Clock.systemUTC();
  private volatile PatrolCycle cycle;
  private volatile TaskReport taskReport;
  private volatile DeadItemReplay deadItemReplay;
  private final NodeWatch nodes;
  private final Object roundLock = new Object();
  private final QuartzClient quartz;

  // why: subsystems are added in the constructor, before activation, as the lifecycle requires
  @SuppressWarnings("this-escape")
  public Patrol(PatrolConfig config) {
    super("patrol", config.common(), EnumSet.of(Service.REDIS, Service.INBOX, Service.POSTGRES));
    this.config = config;
    String node = config.common().nodeId();
    route(
        "GET",
        "/tasks/*",
        request -> {
          cycle();
          return taskReport.handle(request);
        },
        false);
    ReplayHandler replay =
        new ReplayHandler(
            () -> {
              cycle();
              return deadItemReplay;
            },
            this::rejectedReplay);
    // why: a replay re-opens finished tasks, which this patrol's cleanup may be deleting in the
    // same moment; on one patrol they take turns (the CLI sends replays to the lease holder)
    route(
        "POST",
        "/replay",
        request -> {
          synchronized (roundLock) {
            return replay.handle(request);
          }
        },
        true);
    addHttp();
    redis =
        add(
            new RedisSubsystem(
                "redis", config.common().redis(), Endpoint.RUNTIME, "patrol-" + node, 4, 1));
    inboxRedis =
        add(
            new RedisSubsystem(
                "inbox", config.common().redis(), Endpoint.INBOX, "patrol-inbox-" + node, 2, 1));
    postgres =
        add(new PostgresSubsystem(config.common().pg(), "patrol-" + node, 4, serviceWatch()));
    quartz = add(new QuartzClient("patrol-" + node, postgres::dataSource));
    nodes = new NodeWatch(keys(), redis::commands, metrics());
    backlog = new BacklogReport(config.pipelines(), keys(), redis::commands, metrics());
    add(
        new PeriodicTask(
            "patrol",
            config.interval(),
            () -> {
              synchronized (roundLock) {
                cycle().round();
              }
            },
            () -> cycle().stop(),
            true,
            serviceWatch()));
    addHeartbeat(redis);
  }

  /** Built on first use, when Redis and PostgreSQL are ready. */
  private synchronized PatrolCycle cycle() {
    PatrolCycle c = cycle;
    if (c == null) {
      TaskStore tasks = new TaskStore(redis.commands(), keys());
      TaskAuditRepository audit = new TaskAuditRepository(postgres.dataSource());
      DeadItemRepository dead = new DeadItemRepository(postgres.dataSource());
      TaskCompletion completion = new TaskCompletion(tasks, audit, clock);
      c =
          new PatrolCycle(
              new PatrolLease(redis::commands, keys(), config.common().nodeId(), config.leaseTtl()),
              new CompletenessAudit(
                  config.pipelines(),
                  tasks,
                  completion,
                  new DeadLetters(tasks, dead, clock),
                  audit,
                  clock,
                  config.budget(),
                  serviceWatch()::upSince),
              new TaskCleanup(
                  config.pipelines(),
                  tasks,
                  audit,
                  new SinkRowCounter(postgres.dataSource()),
                  clock,
                  config.budget()),
              backlog,
              List.of(
                  chore(
                      "nodes",
                      () -> {
                        // why: heartbeats expire while Redis is down; judging them before the
                        // daemons beat again would report every one of them dead
                        if (Duration.between(serviceWatch().upSince(Service.REDIS), clock.instant())
                                .compareTo(HEARTBEATS_BACK)
                            >= 0) {
                          nodes.round();
                        }
                        return nodes.nodes().stream().filter(NodeWatch.Node::live).count();
                      }),
                  chore(
                      "repaired",
                      new ChainRepair(
                              config.pipelines(),
                              new QuartzTables(postgres::dataSource),
                              quartz::scheduler,
                              metrics())
                          ::round),
                  chore(
                      "reclaimed",
                      new ForeignPendingReclaim(
                              config.pipelines(), keys(), redis::commands, metrics())
                          ::round),
                  chore(
                      "trimmed",
                      new StreamTrimmer(
                              config.pipelines(),
                              keys(),
                              redis::commands,
                              inboxRedis::commands,
                              metrics())
                          ::round)),
              metrics());
      taskReport = new TaskReport(config.pipelines(), tasks, audit, dead);
      deadItemReplay = new DeadItemReplay(config.pipelines(), tasks, audit, dead);
      cycle = c;
    }
    return c;
  }

  private RejectedReplay rejectedReplay() {
    return new RejectedReplay(
        new RejectedMessageRepository(postgres.dataSource()),
        inboxRedis.commands(),
        keys().inbox());
  }

  private static Chore chore(String name, java.util.function.LongSupplier body) {
    return new Chore() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public long round() {
        return body.getAsLong();
      }
    };
  }

  @Override
  protected void onStart() {
    cycle();
  }

  @Override
  protected Map<String, Object> statusDetails() {
    Map<String, Object> d = new LinkedHashMap<>();
    PatrolCycle c = cycle;
    d.put("round", c == null ? Map.of() : c.last());
    d.put("nodes", nodes.nodes());
    d.put("tasks_in_flight", backlog.inflight());
    d.put("backlog", backlog.last());
    return d;
  }
}
