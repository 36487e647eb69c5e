package dev.conveyor.processor;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.common.config.Env;
import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import dev.conveyor.runtime.ledger.Registration;
import dev.conveyor.runtime.ledger.TaskIntake;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.records.DeadItem;
import dev.conveyor.runtime.records.DeadItemRepository;
import dev.conveyor.runtime.records.TaskAudit;
import dev.conveyor.runtime.records.TaskAuditRepository;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One item's failure is that item's alone, in an in-process processor against the real services:
 * content PostgreSQL cannot store that reaches a sink (registered before the intake checked for
 * it), step outputs it cannot store, and a Redis error for one item of a batch. Each such item ends
 * as a dead item, the dead-letter write stores whatever it held, and the items around it are
 * delivered.
 */
@WithServices
class HostileItemsIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String STEPS = "dev.conveyor.processor.teststeps.";
  private static Processor processor;
  private static ProcessorConfig config;

  @BeforeAll
  static void start(TestServices services, @TempDir Path dir) throws Exception {
    services.sql(
        "CREATE TABLE conveyor.hostile_out (task_id text, part int, text text,"
            + " PRIMARY KEY (task_id, part))");
    String defaults =
        "defaults: {offset: 50ms, slice: 500ms, batch: 200,"
            + " retry: {attempts: 2, backoff: 50ms, max_backoff: 100ms}}\n";
    write(
        dir,
        "direct",
        defaults
            + """
            steps:
              - {name: deliver, kind: sink, sink: {table: conveyor.hostile_out, key: [task_id, part]}}
            """);
    write(
        dir,
        "emit",
        defaults
            + """
            steps:
              - {name: emit, kind: java, class: %sEmit}
              - {name: deliver, kind: sink, after: emit, sink: {table: conveyor.hostile_out, key: [task_id, part]}}
            """
                .formatted(STEPS));
    write(
        dir,
        "upper",
        defaults
            + """
            steps:
              - {name: upper, kind: java, class: %sUpper}
              - {name: deliver, kind: sink, after: upper, sink: {table: conveyor.hostile_out, key: [task_id, part]}}
            """
                .formatted(STEPS));
    Map<String, String> env = new HashMap<>(services.env());
    env.put("CONVEYOR_PIPELINES", dir.toString());
    env.put("CONVEYOR_REDIS_BLOCK", "200ms");
    env.put("CONVEYOR_NODE_ID", "hostile-items-it");
    env.put("CONVEYOR_MAX_OUTPUT_BYTES", Integer.toString(64 << 10));
    config = ProcessorConfig.from(Env.of(env));
    processor = new Processor(config);
    processor.activate();
    processor.start();
  }

  @AfterAll
  static void stop() {
    if (processor != null) {
      processor.shutdown();
    }
  }

  @Test
  void aNulThatReachesASinkKillsOnlyItsItemAndItsDeadItemIsStored(TestServices services)
      throws Exception {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      String id = "direct-" + i;
      ids.add(id);
      publish(services, "direct", id, i == 17 ? "{\"text\":\"a\\u0000b\"}" : text("good " + i));
    }

    awaitAudits(services, ids);

    assertThat(
            services.queryLong(
                "SELECT count(*) FROM conveyor.hostile_out WHERE task_id LIKE 'direct-%'"))
        .isEqualTo(39);
    assertThat(outcome(services, "direct-17")).isEqualTo(TaskAudit.Outcome.FAILED);
    DeadItem dead = deadItem(services, "direct-17");
    assertThat(dead.step()).isEqualTo("deliver");
    assertThat(dead.error()).startsWith("insert into conveyor.hostile_out failed");
    JsonNode payload = JSON.readTree(dead.payload());
    assertThat(payload.get("unstorable").textValue()).isEqualTo("U+0000 at $.text");
    assertThat(payload.get("head").textValue()).isEqualTo("{\"text\":\"a\\u0000b\"}");
    assertThat(new DeadItemRepository(services.dataSource()).list(null, "direct", null, 100))
        .hasSize(1);
  }

  @Test
  void outputsPostgresCannotStoreFailTheirItemsAtTheStepThatMadeThem(TestServices services)
      throws Exception {
    Map<String, String> expected = new HashMap<>();
    expected.put("emit-nul", "output holds U+0000 at $.text, which PostgreSQL cannot store");
    expected.put(
        "emit-surrogate", "output holds a lone surrogate at $.text, which PostgreSQL cannot store");
    expected.put("emit-nan", "output is not JSON: Non-standard token 'NaN'");
    expected.put("emit-huge", "output is ");
    List<String> ids = new ArrayList<>(expected.keySet());
    publish(services, "emit", "emit-nul", text("nul"));
    publish(services, "emit", "emit-surrogate", text("surrogate"));
    publish(services, "emit", "emit-nan", text("nan"));
    publish(services, "emit", "emit-huge", text("huge"));
    publish(services, "emit", "emit-legacy", "{\"text\":\"x\\u0000y\"}");
    for (int i = 0; i < 10; i++) {
      publish(services, "emit", "emit-good-" + i, text("fine " + i));
      ids.add("emit-good-" + i);
    }
    ids.add("emit-legacy");

    awaitAudits(services, ids);

    for (var e : expected.entrySet()) {
      DeadItem dead = deadItem(services, e.getKey());
      assertThat(dead.step()).as(e.getKey()).isEqualTo("emit");
      assertThat(dead.attempts()).isEqualTo(2);
      assertThat(dead.error()).as(e.getKey()).startsWith(e.getValue());
      assertThat(JSON.readTree(dead.payload()).has("text"))
          .as("the item's input, which was storable, is kept as it is")
          .isTrue();
    }
    assertThat(deadItem(services, "emit-huge").error()).contains("the limit is 65536");
    assertThat(
            JSON.readTree(deadItem(services, "emit-legacy").payload())
                .get("unstorable")
                .textValue())
        .isEqualTo("U+0000 at $.text");
    for (int i = 0; i < 10; i++) {
      assertThat(outcome(services, "emit-good-" + i)).isEqualTo(TaskAudit.Outcome.DELIVERED);
    }
  }

  @Test
  void aRedisErrorForOneItemOfABatchQuarantinesThatItemAlone(TestServices services) {
    Keys keys = services.keys();
    // why: a key of the wrong type makes record_progress fail for this one item, in the middle of
    // a pipelined batch of 30
    services.jedis().set(keys.taskOutput("upper-13", "upper"), "not a hash");
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      ids.add("upper-" + i);
    }
    publishAll(services, "upper", ids);

    awaitAudits(services, ids);

    assertThat(
            services.queryLong(
                "SELECT count(*) FROM conveyor.hostile_out WHERE task_id LIKE 'upper-%'"))
        .isEqualTo(29);
    DeadItem dead = deadItem(services, "upper-13");
    assertThat(dead.step()).isEqualTo("upper");
    assertThat(dead.error()).startsWith("unexpected failure: ").contains("WRONGTYPE");
    assertThat(outcome(services, "upper-13")).isEqualTo(TaskAudit.Outcome.FAILED);
    String queue = keys.stepQueue("upper", "upper", 0);
    // why: a batch acknowledges its entries after it has finished its tasks, so the last audit row
    // can come a moment before the last acknowledgement
    await()
        .atMost(10, SECONDS)
        .untilAsserted(() ->
            assertThat(services.jedis().xpending(queue, Keys.PROCESSOR_GROUP).getTotal())
                .as("nothing left pending: the shard goes on")
                .isZero());
  }

  private static String text(String t) {
    return "{\"text\":\"" + t + "\"}";
  }

  private static void write(Path dir, String name, String body) throws Exception {
    Files.writeString(dir.resolve(name + ".yaml"), "pipeline: " + name + "\nversion: 1\n" + body);
  }

  private static void publish(TestServices services, String pipeline, String taskId, String input) {
    Pipeline p = config.pipelines().get(pipeline).orElseThrow();
    TaskIntake intake = new TaskIntake(services.jedis(), services.keys());
    Registration r = new Registration(taskId, p, "1-0", Instant.now(), List.of(input));
    intake.registerAll(List.of(r));
    intake.dispatchAll(List.of(r));
  }

  /** All in one fan-out, so that they share the step's batches. */
  private static void publishAll(TestServices services, String pipeline, List<String> taskIds) {
    Pipeline p = config.pipelines().get(pipeline).orElseThrow();
    TaskIntake intake = new TaskIntake(services.jedis(), services.keys());
    List<Registration> all = new ArrayList<>();
    for (String id : taskIds) {
      all.add(new Registration(id, p, "1-0", Instant.now(), List.of(text(id))));
    }
    intake.registerAll(all);
    intake.dispatchAll(all);
  }

  private static void awaitAudits(TestServices services, List<String> taskIds) {
    TaskAuditRepository audits = new TaskAuditRepository(services.dataSource());
    await()
        .atMost(60, SECONDS)
        .untilAsserted(() -> assertThat(audits.existing(taskIds)).hasSize(taskIds.size()));
  }

  private static TaskAudit.Outcome outcome(TestServices services, String taskId) {
    return new TaskAuditRepository(services.dataSource()).find(taskId).orElseThrow().outcome();
  }

  private static DeadItem deadItem(TestServices services, String taskId) {
    List<DeadItem> dead = new DeadItemRepository(services.dataSource()).forTask(taskId);
    assertThat(dead).as("dead items of %s", taskId).hasSize(1);
    return dead.getFirst();
  }
}
