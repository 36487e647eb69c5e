package dev.conveyor.common.outage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.conveyor.common.config.ConveyorConfig;
import dev.conveyor.common.config.Env;
import dev.conveyor.common.db.Database;
import dev.conveyor.common.redis.RedisConnector.Endpoint;
import dev.conveyor.common.test.CapturedLog;
import dev.conveyor.common.test.TcpRelay;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.exceptions.JedisConnectionException;

/**
 * The watch over a real Redis and a real PostgreSQL, each reached through a relay that can cut them
 * off: one WARN when a service goes, one INFO when it is back, waiters woken at once.
 */
@WithServices
class ServiceWatchIT {
  private TcpRelay pgRelay;
  private TcpRelay redisRelay;
  private ConveyorConfig config;
  private SimpleMeterRegistry registry;
  private ServiceWatch watch;
  private final Set<Service> checked = ConcurrentHashMap.newKeySet();

  @BeforeEach
  void setUp(TestServices services) throws Exception {
    pgRelay = TcpRelay.to(services.pgUrl());
    redisRelay = TcpRelay.to(services.redisUrl());
    Map<String, String> env = new HashMap<>(services.env());
    env.put("CONVEYOR_PG_URL", pgRelay.url(services.pgUrl()));
    env.put("CONVEYOR_REDIS_URL", redisRelay.url(services.redisUrl()));
    config = ConveyorConfig.from(Env.of(env));
    registry = new SimpleMeterRegistry();
    Map<Service, ServiceProbe> probes = new EnumMap<>(Service.class);
    probes.put(
        Service.REDIS,
        notingChecks(Service.REDIS, new RedisProbe(config.redis(), Endpoint.RUNTIME, "watch-it")));
    probes.put(
        Service.POSTGRES,
        notingChecks(Service.POSTGRES, new PostgresProbe(config.pg(), "watch-it")));
    watch = new ServiceWatch(probes, registry, Clock.systemUTC());
    watch.activate();
    watch.start();
    // why: the watch checks each service right after start, then every 5 s; a first check still
    // running when a test cuts a relay would find the outage itself, before the test reports its
    // failure
    await().atMost(Duration.ofSeconds(10)).until(() -> checked.containsAll(probes.keySet()));
  }

  private ServiceProbe notingChecks(Service service, ServiceProbe probe) {
    return new ServiceProbe() {
      @Override
      public void check(boolean fresh) throws Exception {
        try {
          probe.check(fresh);
        } finally {
          checked.add(service);
        }
      }

      @Override
      public void close() {
        probe.close();
      }
    };
  }

  @AfterEach
  void tearDown() {
    watch.shutdown();
    pgRelay.close();
    redisRelay.close();
  }

  @Test
  void aServiceThatGoesAwayIsDownOnceAndBackOnceAndItsWaitersWakeAtOnce() throws Exception {
    assertThat(watch.upSince()).isEqualTo(Instant.EPOCH);
    try (CapturedLog log = new CapturedLog(ServiceWatch.class)) {
      pgRelay.cut();
      SQLException lost = new SQLException("An I/O error occurred", "08006");
      assertThat(watch.failed(lost)).isEqualTo(ServiceWatch.Verdict.DOWN);
      for (int i = 0; i < 5; i++) {
        assertThat(watch.failed(lost)).isEqualTo(ServiceWatch.Verdict.DOWN);
      }
      assertThat(watch.down()).containsExactly(Service.POSTGRES);
      assertThat(watch.downLabels()).containsExactly("postgres");
      assertThat(watch.isDown(Service.REDIS)).isFalse();
      assertThat(gauge("postgres")).isZero();
      assertThat(watch.awaitUp(Duration.ZERO)).isFalse();
      assertThat(watch.upSince()).isCloseTo(Instant.now(), within());
      CompletableFuture<Long> waited =
          CompletableFuture.supplyAsync(() -> {
            long start = System.nanoTime();
            return watch.awaitUp(Duration.ofSeconds(60)) ? System.nanoTime() - start : -1;
          });

      Instant back = Instant.now();
      pgRelay.restore();

      long waitedNanos = waited.get();
      assertThat(waitedNanos).as("the waiter was woken").isPositive();
      assertThat(Duration.between(back, Instant.now()))
          .as("woken within a probe interval of the return")
          .isLessThan(Duration.ofSeconds(3));
      assertThat(watch.down()).isEmpty();
      assertThat(gauge("postgres")).isEqualTo(1.0);
      assertThat(watch.upSince()).isBetween(back, Instant.now());
      assertThat(log.events("service_down"))
          .singleElement()
          .satisfies(e -> {
            assertThat(e).containsEntry("level", "WARN").containsEntry("service", "postgres");
            assertThat(String.valueOf(e.get("failure"))).contains("An I/O error occurred");
          });
      assertThat(log.events("service_up"))
          .singleElement()
          .satisfies(e -> {
            assertThat(e).containsEntry("level", "INFO").containsEntry("service", "postgres");
            assertThat(String.valueOf(e.get("down_for"))).endsWith("s");
          });
      assertThat(
              registry
                  .find("conveyor_service_outages")
                  .tag("service", "postgres")
                  .counter()
                  .count())
          .isEqualTo(1.0);
    }
  }

  @Test
  void anIdleWatchNoticesARedisOutageByItself() {
    try (CapturedLog log = new CapturedLog(ServiceWatch.class)) {
      redisRelay.cut();
      await().atMost(Duration.ofSeconds(15)).until(() -> watch.isDown(Service.REDIS));
      assertThat(log.events("service_down"))
          .singleElement()
          .satisfies(e -> assertThat(e).containsEntry("service", "redis"));
      assertThat(watch.status()).containsEntry("postgres", "up").containsKey("redis");
      redisRelay.restore();
      await().atMost(Duration.ofSeconds(5)).until(() -> watch.allUp());
      // why: the probe's thread says so right after it marks the service up
      await()
          .atMost(Duration.ofSeconds(2))
          .untilAsserted(() -> assertThat(log.events("service_up")).hasSize(1));
    }
  }

  @Test
  void aFailureOfTheWorkItselfIsNoOutageAndAFailureWhileTheServiceAnswersIsABlip() {
    try (CapturedLog log = new CapturedLog(ServiceWatch.class)) {
      assertThat(watch.failed(new IllegalStateException("WRONGTYPE")))
          .isEqualTo(ServiceWatch.Verdict.NOT_AN_OUTAGE);
      assertThat(watch.failed(new SQLException("duplicate key", "23505")))
          .isEqualTo(ServiceWatch.Verdict.NOT_AN_OUTAGE);
      assertThat(watch.failed(new JedisConnectionException("Unexpected end of stream.")))
          .as("Redis answers the watch")
          .isEqualTo(ServiceWatch.Verdict.BLIP);
      assertThat(watch.allUp()).isTrue();
      assertThat(log.events()).isEmpty();
    }
  }

  @Test
  void theGuardedPoolRefusesAtOnceWhilePostgresIsDownAndServesAgainAfter() throws Exception {
    try (var pool = Database.pool(config.pg(), "guard-it", 2)) {
      DataSource guarded = new GuardedDataSource(pool, watch);
      try (var c = guarded.getConnection()) {
        assertThat(c.isValid(1)).isTrue();
      }
      pgRelay.cut();
      assertThat(watch.failed(new SQLException("gone", "08006")))
          .isEqualTo(ServiceWatch.Verdict.DOWN);
      long start = System.nanoTime();
      assertThatThrownBy(guarded::getConnection)
          .isInstanceOf(SQLTransientConnectionException.class)
          .satisfies(e -> assertThat(Outages.of(e)).contains(Service.Kind.POSTGRES));
      assertThat(Duration.ofNanos(System.nanoTime() - start))
          .as("refused at once, not after the pool's timeout")
          .isLessThan(Duration.ofMillis(500));
      pgRelay.restore();
      assertThat(watch.awaitUp(Duration.ofSeconds(10))).isTrue();
      try (var c = guarded.getConnection()) {
        assertThat(c.isValid(1)).isTrue();
      }
    }
  }

  private double gauge(String service) {
    return registry.find("conveyor_service_up").tag("service", service).gauge().value();
  }

  private static org.assertj.core.data.TemporalUnitOffset within() {
    return new org.assertj.core.data.TemporalUnitWithinOffset(
        5, java.time.temporal.ChronoUnit.SECONDS);
  }
}
