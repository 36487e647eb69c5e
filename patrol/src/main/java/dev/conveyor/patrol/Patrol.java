package dev.conveyor.patrol;

import dev.conveyor.common.daemon.Daemon;
import dev.conveyor.common.daemon.PeriodicTask;
import dev.conveyor.common.daemon.PostgresSubsystem;
import dev.conveyor.common.daemon.RedisSubsystem;
import dev.conveyor.common.redis.RedisConnector.Endpoint;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Daemon 3: watches the others. Subsystems: http, redis, postgres, quartz (a never-started client
 * of the processors' Quartz store), backlog (a periodic report of every step's backlog and the
 * tasks in flight), chains (a periodic repair of broken step chains), heartbeat.
 */
public final class Patrol extends Daemon {
  private final BacklogReport backlog;

  // why: subsystems are added in the constructor, before activation, as the lifecycle requires
  @SuppressWarnings("this-escape")
  public Patrol(PatrolConfig config) {
    super("patrol", config.common());
    String node = config.common().nodeId();
    addHttp();
    RedisSubsystem redis =
        add(
            new RedisSubsystem(
                "redis", config.common().redis(), Endpoint.RUNTIME, "patrol-" + node, 4, 1));
    PostgresSubsystem postgres =
        add(new PostgresSubsystem(config.common().pg(), "patrol-" + node, 2));
    QuartzClient quartz = add(new QuartzClient("patrol-" + node, postgres::dataSource));
    backlog = new BacklogReport(config.pipelines(), keys(), redis::commands, metrics());
    add(new PeriodicTask("backlog", config.interval(), backlog::round));
    ChainRepair chains =
        new ChainRepair(
            config.pipelines(),
            new QuartzTables(postgres::dataSource),
            quartz::scheduler,
            metrics());
    add(new PeriodicTask("chains", config.interval(), chains::round));
    addHeartbeat(redis);
  }

  @Override
  protected Map<String, Object> statusDetails() {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("tasks_in_flight", backlog.inflight());
    d.put("backlog", backlog.last());
    return d;
  }
}
