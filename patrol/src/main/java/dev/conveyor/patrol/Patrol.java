package dev.conveyor.patrol;

import dev.conveyor.common.config.Durations;
import dev.conveyor.common.daemon.Daemon;
import dev.conveyor.common.daemon.PeriodicTask;
import dev.conveyor.common.daemon.PostgresSubsystem;
import dev.conveyor.common.daemon.RedisSubsystem;
import dev.conveyor.common.db.LeaseLostException;
import dev.conveyor.common.http.HttpRequest;
import dev.conveyor.common.http.HttpResponse;
import dev.conveyor.common.outage.Service;
import dev.conveyor.common.redis.RedisConnector.Endpoint;
import dev.conveyor.runtime.ledger.TaskReport;
import dev.conveyor.runtime.quartz.QuartzTables;
import dev.conveyor.runtime.records.RejectedMessageRepository;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Daemon 3: makes the trio trustworthy when nobody watches. Subsystems: http (also {@code GET
 * /tasks/<id>} and {@code POST /replay}), redis, inbox, postgres, quartz (a client of the
 * processors' Quartz store that never runs jobs), patrol (the round: backlog, and under the lease
 * the completeness audit with re-drive, chain repair, node liveness, reclaim and stream trimming,
 * then the fenced writes: cleanup, release of held tasks, repeated cleanup, retention of rows),
 * patrol-lease (renews the lease during and between rounds), heartbeat.
 */
public final class Patrol extends Daemon {
  /** How long after Redis is back the daemons' heartbeats are judged again: three beats. */
  private static final Duration HEARTBEATS_BACK = Duration.ofSeconds(15);

  private final PatrolConfig config;
  private final RedisSubsystem redis;
  private final RedisSubsystem inboxRedis;
  private final PostgresSubsystem postgres;
  private final BacklogReport backlog;
  private final Clock clock;
  private final List<Chore> extraChores;
  private volatile PatrolCycle cycle;
  private volatile PatrolLease lease;
  private volatile TaskReport taskReport;
  private volatile ReplayHandler replay;
  private final NodeWatch nodes;
  private final QuartzClient quartz;

  public Patrol(PatrolConfig config) {
    this(config, Clock.systemUTC(), List.of());
  }

  /**
   * @param clock what the audit, cleanup and retention take as now (tests move it)
   * @param extraChores run after the built-in chores, before the cleanup (tests slow a round down)
   */
  // why: subsystems are added in the constructor, before activation, as the lifecycle requires
  @SuppressWarnings("this-escape")
  Patrol(PatrolConfig config, Clock clock, List<Chore> extraChores) {
    super("patrol", config.common(), EnumSet.of(Service.REDIS, Service.INBOX, Service.POSTGRES));
    this.config = config;
    this.clock = clock;
    this.extraChores = List.copyOf(extraChores);
    String node = config.common().nodeId();
    route(
        "GET",
        "/tasks/*",
        new TaskReportHandler(() -> {
          cycle();
          return taskReport;
        }),
        false);
    // why: a replay re-opens finished tasks that the cleanup may be deleting in the same moment, on
    // this patrol or another; both run behind the lease, locking the task's rows in PostgreSQL, so
    // only the holder replays: another patrol answers 409 naming it, and the CLI goes there
    route("POST", "/replay", this::replay, true);
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
        add(
            new PostgresSubsystem(
                config.common().pg(), "patrol-" + node, 4, serviceWatch(), metrics()));
    quartz = add(new QuartzClient("patrol-" + node, postgres::dataSource));
    nodes = new NodeWatch(keys(), redis::commands, metrics());
    backlog = new BacklogReport(config.pipelines(), keys(), redis::commands, metrics());
    add(
        new PeriodicTask(
            "patrol",
            config.interval(),
            () -> cycle().round(),
            () -> cycle().stop(),
            true,
            serviceWatch()));
    // why: added after the round's task, so that it is stopped before it, and the round's task then
    // gives the lease back with no renewal after
    add(
        new PeriodicTask(
            "patrol-lease",
            config.leaseTtl().dividedBy(3),
            () -> cycle().renewLease(),
            () -> {},
            true,
            serviceWatch()));
    addHeartbeat(redis);
  }

  private HttpResponse replay(HttpRequest request) {
    cycle();
    if (!lease.held()) {
      return notHolder();
    }
    try {
      return replay.handle(request);
    } catch (LeaseLostException e) {
      return notHolder();
    }
  }

  /** 409, naming the patrol that holds the lease (the CLI sends the replay there). */
  private HttpResponse notHolder() {
    String me = config.common().nodeId();
    Optional<PatrolLeaseRepository.Holder> holder =
        lease.holder().filter(PatrolLeaseRepository.Holder::live);
    Map<String, Object> body = new LinkedHashMap<>();
    if (holder.isPresent() && !holder.get().node().equals(me)) {
      body.put(
          "error",
          "patrol " + me + " does not hold the patrol lease; " + holder.get().node() + " does");
      body.put("holder", holder.get().node());
    } else {
      body.put(
          "error",
          "no patrol holds the patrol lease at the moment (one takes it within "
              + Durations.format(config.interval())
              + "); try again");
    }
    return HttpResponse.json(409, body);
  }

  /** Built on first use, when Redis and PostgreSQL are ready. */
  private synchronized PatrolCycle cycle() {
    PatrolCycle c = cycle;
    if (c == null) {
      DataSource pg = postgres.dataSource();
      PatrolParts parts =
          new PatrolParts(
              config, clock, redis.commands(), keys(), pg, serviceWatch()::upSince, metrics());
      PatrolLease l =
          new PatrolLease(
              new PatrolLeaseRepository(pg), pg, config.common().nodeId(), config.leaseTtl());
      List<Chore> chores = new ArrayList<>(builtInChores());
      chores.addAll(extraChores);
      c = new PatrolCycle(l, parts.work(chores), backlog, metrics());
      taskReport = parts.taskReport(inboxRedis.commands());
      replay = new ReplayHandler(() -> parts.deadItemReplay(l::fence), this::rejectedReplay);
      lease = l;
      cycle = c;
    }
    return c;
  }

  private List<Chore> builtInChores() {
    return List.of(
        chore(
            "nodes",
            () -> {
              // why: heartbeats expire while Redis is down; judging them before the daemons beat
              // again would report every one of them dead
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
            new ForeignPendingReclaim(config.pipelines(), keys(), redis::commands, metrics())
                ::round),
        chore(
            "trimmed",
            new StreamTrimmer(
                    config.pipelines(), keys(), redis::commands, inboxRedis::commands, metrics())
                ::round));
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
