package dev.conveyor.dispatcher;

import dev.conveyor.common.daemon.Daemon;
import dev.conveyor.common.daemon.PostgresSubsystem;
import dev.conveyor.common.daemon.RedisSubsystem;
import dev.conveyor.common.db.RejectedMessageRepository;
import dev.conveyor.common.db.TaskAuditRepository;
import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.redis.RedisConnector.Endpoint;
import dev.conveyor.common.redis.StreamGroup;
import dev.conveyor.common.task.TaskStore;
import java.util.Map;

/**
 * Daemon 1, the front door: inbox → validated, deduplicated, split tasks → entry step queues, or a
 * row in {@code rejected_messages}. Subsystems: http, redis (runtime state), inbox (the inbox's
 * Redis, possibly another server), postgres, intake, heartbeat.
 */
public final class Dispatcher extends Daemon {
  private final DispatcherConfig config;
  private final RedisSubsystem redis;
  private final RedisSubsystem inboxRedis;
  private final PostgresSubsystem postgres;

  // why: subsystems are added in the constructor, before activation, as the lifecycle requires
  @SuppressWarnings("this-escape")
  public Dispatcher(DispatcherConfig config) {
    super("dispatcher", config.common());
    this.config = config;
    String node = config.common().nodeId();
    addHttp();
    redis =
        add(
            new RedisSubsystem(
                "redis", config.common().redis(), Endpoint.RUNTIME, "dispatcher-" + node, 8, 1));
    inboxRedis =
        add(
            new RedisSubsystem(
                "inbox",
                config.common().redis(),
                Endpoint.INBOX,
                "dispatcher-inbox-" + node,
                2,
                1));
    postgres = add(new PostgresSubsystem(config.common().pg(), "dispatcher-" + node, 4));
    add(
        new InboxConsumer(
            () -> new StreamGroup(inboxRedis.blocking(), keys().inbox(), Keys.DISPATCHER_GROUP),
            node,
            config.batch(),
            config.common().redis().block(),
            () ->
                new InboxConsumer.Intake(
                    new MessageValidator(config.pipelines(), config.common().maxMessageBytes()),
                    new Rejections(new RejectedMessageRepository(postgres.dataSource())),
                    new TaskFanOut(new TaskStore(redis.commands(), keys())),
                    new TaskAuditRepository(postgres.dataSource())),
            metrics()));
    addHeartbeat(redis);
  }

  @Override
  protected Map<String, Object> statusDetails() {
    return Map.of("pipelines", config.pipelines().names());
  }
}
