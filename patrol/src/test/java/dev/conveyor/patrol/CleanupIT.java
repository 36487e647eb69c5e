package dev.conveyor.patrol;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import dev.conveyor.runtime.records.TaskAuditRepository;
import dev.conveyor.runtime.records.TaskCleanupRepository;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The patrol in-process against real Redis and PostgreSQL: which finished tasks it cleans up (auto
 * within the tolerance, force after the grace), which it holds and when it releases them, that keys
 * Redis brought back go again, and that two patrols clean no task twice.
 */
@WithServices
class CleanupIT {
  private static PatrolFixture fixture;

  @BeforeAll
  static void files(TestServices services, @TempDir Path dir) throws Exception {
    fixture = PatrolFixture.create(services, dir);
  }

  @AfterEach
  void stop() {
    fixture.stopAll();
  }

  @Test
  void autoCleanupDeletesAtAndAboveTheToleranceAndKeepsBelow(TestServices services) {
    fixture.finished(services, "tidy", "tidy-full", 10, 10);
    fixture.finished(services, "tidy", "tidy-at", 10, 9);
    fixture.finished(services, "tidy", "tidy-below", 10, 8);
    fixture.start(services, "clean-node");

    TaskAuditRepository audits = new TaskAuditRepository(services.dataSource());
    await()
        .atMost(10, SECONDS)
        .until(() ->
            audits.find("tidy-full").orElseThrow().cleanedAt().isPresent()
                && audits.find("tidy-at").orElseThrow().cleanedAt().isPresent()
                && new TaskCleanupRepository(services.dataSource()).countHeld() == 1);
    assertThat(services.jedis().exists(services.keys().taskMeta("tidy-full"))).isFalse();
    assertThat(services.jedis().exists(services.keys().taskOutput("tidy-at", "deliver"))).isFalse();
    assertThat(audits.find("tidy-below").orElseThrow().cleanedAt()).isEmpty();
    assertThat(services.jedis().exists(services.keys().taskMeta("tidy-below"))).isTrue();
    assertThat(
            services.queryLong(
                "SELECT count(*) FROM conveyor.task_audit WHERE task_id = 'tidy-below'"
                    + " AND cleanup_detail LIKE 'rows in database 8 of 10%'"))
        .isEqualTo(1);
  }

  @Test
  void forceCleanupWaitsForTheGraceThenDeletesWithoutCounting(TestServices services) {
    fixture.finished(services, "patient", "patient-1", 4, 0);
    MutableClock clock = new MutableClock(Instant.now());
    AtomicInteger rounds = new AtomicInteger();
    fixture.start(
        services, "patient-node", Map.of(), clock, List.of(PatrolFixture.counting(rounds)));
    TaskAuditRepository audits = new TaskAuditRepository(services.dataSource());

    int seen = rounds.get();
    await().atMost(10, SECONDS).until(() -> rounds.get() >= seen + 2);
    assertThat(audits.find("patient-1").orElseThrow().cleanedAt())
        .as("within its 60s grace")
        .isEmpty();
    assertThat(services.jedis().exists(services.keys().taskParts("patient-1"))).isTrue();

    clock.advance(Duration.ofSeconds(61));
    await()
        .atMost(10, SECONDS)
        .until(() -> audits.find("patient-1").orElseThrow().cleanedAt().isPresent());
    assertThat(services.jedis().exists(services.keys().taskParts("patient-1"))).isFalse();
  }

  @Test
  void autoCleanupHoldsATaskWhosePartsAreBelowTheToleranceEvenWithEveryRowInTheDatabase(
      TestServices services) {
    // 10 parts, 2 dead: every row its sink reported is in the table, but 8 of 10 parts < 0.9
    fixture.finished(services, "tidy", "tidy-parts", 10, 8, 2);
    fixture.start(services, "parts-node");

    await()
        .atMost(10, SECONDS)
        .until(() ->
            services.queryLong(
                    "SELECT count(*) FROM conveyor.task_audit WHERE task_id = 'tidy-parts'"
                        + " AND cleanup_held_at IS NOT NULL")
                == 1);
    assertThat(
            services.queryLong(
                "SELECT count(*) FROM conveyor.task_audit WHERE task_id = 'tidy-parts'"
                    + " AND cleanup_detail LIKE 'rows in database 8 of 8 delivered (1.000),"
                    + " parts delivered 8 of 10 (0.800)%'"))
        .isEqualTo(1);
    assertThat(services.jedis().exists(services.keys().taskMeta("tidy-parts"))).isTrue();
  }

  @Test
  void aHeldTaskIsReleasedAfterTheHeldRetentionWithARowSayingSoAndASnapshotForReplay(
      TestServices services) {
    fixture.finished(services, "tidy", "tidy-held", 4, 2, 1);
    // why: past the pipeline's 200ms grace; the clock stands still until the test moves it
    MutableClock clock = new MutableClock(Instant.now().plusSeconds(1));
    fixture.start(
        services, "release-node", Map.of("CONVEYOR_HELD_RETENTION", "1h"), clock, List.of());
    TaskAuditRepository audits = new TaskAuditRepository(services.dataSource());
    await()
        .atMost(10, SECONDS)
        .until(() ->
            services.queryLong(
                    "SELECT count(*) FROM conveyor.task_audit WHERE task_id = 'tidy-held'"
                        + " AND cleanup_held_at IS NOT NULL")
                == 1);
    assertThat(audits.find("tidy-held").orElseThrow().cleanedAt()).isEmpty();

    clock.advance(Duration.ofHours(2));

    await()
        .atMost(10, SECONDS)
        .until(() -> audits.find("tidy-held").orElseThrow().cleanedAt().isPresent());
    assertThat(services.redisKeys()).noneMatch(k -> k.contains("{tidy-held}"));
    assertThat(
            services.queryLong(
                "SELECT count(*) FROM conveyor.task_audit WHERE task_id = 'tidy-held'"
                    + " AND cleanup_detail LIKE 'released after 1h held: rows in database 2 of 3%'"))
        .isEqualTo(1);
    assertThat(
            services.queryLong(
                "SELECT count(*) FROM conveyor.task_snapshots WHERE task_id = 'tidy-held'"
                    + " AND data->'parts'->>'3' IS NOT NULL AND data->'dead'->>'3' IS NOT NULL"))
        .as("what a replay of its dead item needs")
        .isEqualTo(1);
  }

  @Test
  void keysOfACleanedTaskThatRedisBroughtBackAreDeletedAgain(TestServices services) {
    fixture.finished(services, "forced", "back-1", 2, 0);
    Keys keys = services.keys();
    List<String> taskKeys =
        List.of(
            keys.taskMeta("back-1"),
            keys.taskParts("back-1"),
            keys.taskOutput("back-1", "deliver"));
    Map<String, byte[]> before = new HashMap<>();
    taskKeys.forEach(k -> before.put(k, services.jedis().dump(k)));
    assertThat(before.values()).doesNotContainNull();
    TaskAuditRepository audits = new TaskAuditRepository(services.dataSource());
    fixture.start(services, "reclean-node");
    await()
        .atMost(10, SECONDS)
        .until(() -> audits.find("back-1").orElseThrow().cleanedAt().isPresent());
    assertThat(taskKeys).noneMatch(k -> services.jedis().exists(k));

    // Redis restarted from an AOF that lost its last second: the deletes and the index removal
    before.forEach((k, v) -> services.jedis().restore(k, 0, v));
    services.jedis().zadd(keys.finished("forced"), 1, "back-1");

    await()
        .atMost(10, SECONDS)
        .untilAsserted(() -> {
          assertThat(taskKeys).noneMatch(k -> services.jedis().exists(k));
          assertThat(services.jedis().zscore(keys.finished("forced"), "back-1")).isNull();
        });
  }

  @Test
  void theRepeatLooksOnlyAtTasksPastTheirGrace(TestServices services) {
    // why: no cleanup takes a task within its grace, so the repeat has nothing to find there; the
    // row below says cleaned all the same, which only a walk of the whole index would act on
    fixture.finished(services, "patient", "young-1", 2, 0);
    services.sql("UPDATE conveyor.task_audit SET cleaned_at = now() WHERE task_id = 'young-1'");
    Keys keys = services.keys();
    MutableClock clock = new MutableClock(Instant.now());
    AtomicInteger rounds = new AtomicInteger();
    fixture.start(services, "young-node", Map.of(), clock, List.of(PatrolFixture.counting(rounds)));

    int seen = rounds.get();
    await().atMost(10, SECONDS).until(() -> rounds.get() >= seen + 3);
    assertThat(services.jedis().exists(keys.taskParts("young-1")))
        .as("within its 60s grace")
        .isTrue();
    assertThat(services.jedis().zscore(keys.finished("patient"), "young-1")).isNotNull();

    clock.advance(Duration.ofSeconds(61));
    await()
        .atMost(10, SECONDS)
        .untilAsserted(() -> {
          assertThat(services.jedis().exists(keys.taskParts("young-1"))).isFalse();
          assertThat(services.jedis().zscore(keys.finished("patient"), "young-1")).isNull();
        });
  }

  @Test
  void twoPatrolsShareTheWorkSoNoTaskIsCleanedTwice(TestServices services) {
    for (int i = 0; i < 40; i++) {
      fixture.finished(services, "forced", "pair-" + i, 1, 0);
    }
    fixture.start(services, "patrol-one");
    fixture.start(services, "patrol-two");

    await()
        .atMost(15, SECONDS)
        .until(() ->
            services.queryLong(
                    "SELECT count(*) FROM conveyor.task_audit WHERE task_id LIKE 'pair-%' AND cleaned_at IS NOT NULL")
                == 40);
    assertThat(
            services.queryLong(
                "SELECT count(DISTINCT cleaned_by) FROM conveyor.task_audit WHERE task_id LIKE 'pair-%'"))
        .as("one lease holder cleaned them all")
        .isEqualTo(1);
    // why: the first patrol may clean all 40 before the second's first round: wait for that round
    await()
        .atMost(20, SECONDS)
        .untilAsserted(() ->
            assertThat(fixture.patrols())
                .extracting(p -> String.valueOf(((Map<?, ?>) p.status().get("round")).get("role")))
                .containsExactlyInAnyOrder("active", "standby"));
  }
}
