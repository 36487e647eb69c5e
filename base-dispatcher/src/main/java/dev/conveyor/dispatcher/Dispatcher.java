package dev.conveyor.dispatcher;

import dev.conveyor.common.daemon.Daemon;
import dev.conveyor.common.daemon.PeriodicTask;
import dev.conveyor.common.daemon.PostgresSubsystem;
import dev.conveyor.common.daemon.RedisSubsystem;
import dev.conveyor.common.outage.Service;
import dev.conveyor.common.redis.AofWait;
import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.redis.RedisConnector.Endpoint;
import dev.conveyor.common.redis.ReplicationBarrier;
import dev.conveyor.common.redis.StreamGroup;
import dev.conveyor.runtime.ledger.TaskEvents;
import dev.conveyor.runtime.ledger.TaskIntake;
import dev.conveyor.runtime.records.RejectedMessageRepository;
import dev.conveyor.runtime.records.TaskAuditRepository;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.UnifiedJedis;

/**
 * Daemon 1, the front door: inbox → validated, deduplicated, split tasks → entry step queues, or a
 * row in {@code rejected_messages}. Subsystems: http, redis (runtime state), inbox (the inbox's
 * Redis, possibly another server), postgres, intake, inbox-stats, heartbeat.
 */
public final class Dispatcher extends Daemon {
  private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);
  private static final Duration STATS_INTERVAL = Duration.ofSeconds(5);

  private final DispatcherConfig config;
  private final RedisSubsystem redis;
  private final RedisSubsystem inboxRedis;
  private final PostgresSubsystem postgres;
  private final IntakeMetrics metrics;
  private final InboxStats stats;
  private volatile Backpressure backpressure;

  // why: subsystems are added in the constructor, before activation, as the lifecycle requires
  @SuppressWarnings("this-escape")
  public Dispatcher(DispatcherConfig config) {
    super(
        "dispatcher", config.common(), EnumSet.of(Service.REDIS, Service.INBOX, Service.POSTGRES));
    this.config = config;
    this.metrics = new IntakeMetrics(metrics());
    String node = config.common().nodeId();
    // why: a write into the inbox, held to the rule of the other writes (the admin token when set,
    // else loopback clients only): publishing is as much power as suspending the intake
    route(
        "POST",
        "/messages",
        new MessagesHandler(
            validator(config),
            () -> Optional.ofNullable(backpressure),
            this::inboxCommands,
            keys().inbox()),
        true,
        MessagesHandler.bodyLimit(config.maxEntryBytes()));
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
                4,
                1));
    postgres =
        add(
            new PostgresSubsystem(
                config.common().pg(), "dispatcher-" + node, 4, serviceWatch(), metrics()));
    add(
        new InboxConsumer(
            this::intakeParts,
            node,
            config.batch(),
            config.common().redis().block(),
            config.claimIdle(),
            Clock.systemUTC(),
            serviceWatch()));
    stats =
        new InboxStats(
            () -> new StreamGroup(inboxRedis.commands(), keys().inbox(), Keys.DISPATCHER_GROUP),
            metrics());
    add(new PeriodicTask("inbox-stats", STATS_INTERVAL, stats::round, serviceWatch()));
    addHeartbeat(redis);
  }

  private InboxConsumer.Parts intakeParts() {
    TaskIntake tasks = new TaskIntake(redis.commands(), keys());
    TaskAuditRepository audit = new TaskAuditRepository(postgres.dataSource());
    AofWait aof = AofWait.detect(redis.commands(), config.common().redis().inboxElsewhere());
    if (aof != AofWait.NOT_NEEDED) {
      log.atInfo()
          .addKeyValue("event", "aof_wait")
          .addKeyValue("used", aof.used())
          .addKeyValue("reason", aof.reason())
          .log();
    }
    TaskEvents events = new TaskEvents(redis::commands, keys(), config.common().taskEventsMaxLen());
    backpressure = new Backpressure(config.pipelines(), tasks, Clock.systemUTC(), metrics);
    return new InboxConsumer.Parts(
        new StreamGroup(inboxRedis.blocking(), keys().inbox(), Keys.DISPATCHER_GROUP),
        new BatchHandler(
                validator(config),
                new Rejections(
                    new RejectedMessageRepository(postgres.dataSource()),
                    config.maxEntryBytes(),
                    config.maxEntryFields(),
                    events),
                new TaskFanOut(
                    tasks,
                    redis.commands(),
                    new ReplicationBarrier(
                        keys(),
                        config.common().redis().waitReplicas(),
                        config.common().redis().replicaWait(),
                        aof.used()),
                    audit::existing),
                audit::existing,
                metrics,
                config.maxDeliveries())
            ::handle,
        backpressure);
  }

  private UnifiedJedis inboxCommands() {
    return inboxRedis.commands();
  }

  /** The one validator setup of the intake and of {@code POST /messages}. */
  private static MessageValidator validator(DispatcherConfig config) {
    return new MessageValidator(
        config.pipelines(),
        config.common().maxMessageBytes(),
        config.maxEntryBytes(),
        config.maxEntryFields());
  }

  @Override
  protected Map<String, Object> statusDetails() {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("pipelines", config.pipelines().names());
    Backpressure b = backpressure;
    if (b != null) {
      d.put("held", b.hold().orElse(null));
      d.put("in_flight", b.status());
    }
    d.put("inbox", stats.last());
    return d;
  }
}
