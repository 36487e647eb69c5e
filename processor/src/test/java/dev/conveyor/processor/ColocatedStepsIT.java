package dev.conveyor.processor;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conveyor.common.config.Env;
import dev.conveyor.common.lifecycle.State;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import dev.conveyor.runtime.records.DeadItem;
import dev.conveyor.runtime.records.DeadItemRepository;
import dev.conveyor.runtime.records.TaskAudit;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Co-located steps: items a batch makes ready for a java or sink step are run in the same tick, not
 * through the step's queue — unless the setting is off, the step is suspended, or it is a command
 * step. Each test starts its own processor; the pipelines are the same in all of them.
 */
@WithServices
class ColocatedStepsIT {
  private static final String STEPS = "dev.conveyor.processor.teststeps.";
  private static final String DEFAULTS =
      "defaults: {offset: 50ms, slice: 500ms, retry: {attempts: 3, backoff: 50ms, max_backoff: 100ms}}\n";
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir static Path dir;
  private Processor processor;
  private ProcessorConfig config;
  private int port;

  @BeforeEach
  void pipelines(TestServices services) throws Exception {
    services.sql(
        "CREATE TABLE IF NOT EXISTS conveyor.texts (task_id text, part int, text text, PRIMARY KEY (task_id, part))");
    for (String name : List.of("chain", "plain", "held")) {
      write(
          name,
          """
          steps:
            - {name: upper, kind: java, class: %1$sUpper}
            - {name: lower, kind: java, class: %1$sLower, after: upper}
            - {name: deliver, kind: sink, after: lower, sink: {table: conveyor.texts, key: [task_id, part]}}
          """
              .formatted(STEPS));
    }
    write(
        "flaky",
        """
        steps:
          - {name: upper, kind: java, class: %1$sUpper}
          - {name: again, kind: java, class: %1$sFlaky, after: upper, options: {fail_times: 1}}
          - {name: deliver, kind: sink, after: again, sink: {table: conveyor.texts, key: [task_id, part]}}
        """
            .formatted(STEPS));
    write(
        "doomed",
        """
        steps:
          - {name: upper, kind: java, class: %1$sUpper}
          - {name: again, kind: java, class: %1$sFlaky, after: upper, options: {fail_times: 99}}
          - {name: deliver, kind: sink, after: again, sink: {table: conveyor.texts, key: [task_id, part]}}
        """
            .formatted(STEPS));
    Path steps = Files.createDirectories(dir.resolve("steps"));
    Path deploy = Path.of(System.getProperty("user.dir")).getParent().resolve("deploy/pipelines");
    for (String f : List.of("upper.py", "conveyor_step.py")) {
      if (!Files.exists(steps.resolve(f))) {
        Files.copy(deploy.resolve("steps").resolve(f), steps.resolve(f));
      }
    }
    write(
        "python",
        """
        steps:
          - {name: upper, kind: java, class: %1$sUpper}
          - {name: shout, kind: command, command: [python3, steps/upper.py], after: upper, options: {suffix: "!"}}
          - {name: deliver, kind: sink, after: shout, sink: {table: conveyor.texts, key: [task_id, part]}}
        """
            .formatted(STEPS));
  }

  @AfterEach
  void stop() {
    if (processor != null) {
      processor.shutdown();
    }
  }

  @Test
  void theStepsAfterTheFirstRunInItsTickAndTheirQueuesGetNothing(TestServices services)
      throws Exception {
    start(services, Map.of());
    awaitTicking("chain", "lower", "deliver");

    for (int i = 0; i < 20; i++) {
      publish(services, "chain", "co-" + i, "Hello", "World");
    }

    for (int i = 0; i < 20; i++) {
      TaskAudit audit = awaitAudit(services, "co-" + i);
      assertThat(audit.outcome()).isEqualTo(TaskAudit.Outcome.DELIVERED);
      assertThat(audit.rowsDelivered()).isEqualTo(2);
      assertThat(texts(services, "co-" + i)).containsExactly("hello", "world");
    }
    assertThat(services.jedis().hget(services.keys().taskOutput("co-0", "upper"), "1"))
        .as("each step's output is recorded, in the same call as the next step's")
        .isEqualTo("{\"text\":\"WORLD\"}");
    assertThat(services.jedis().hget(services.keys().taskOutput("co-0", "lower"), "1"))
        .isEqualTo("{\"text\":\"world\"}");
    assertThat(services.jedis().hgetAll(services.keys().taskMeta("co-0")))
        .containsKeys("out:upper", "out:lower", "out:deliver");
    assertThat(everQueued(services, "chain", "upper")).isTrue();
    assertThat(everQueued(services, "chain", "lower")).isFalse();
    assertThat(everQueued(services, "chain", "deliver")).isFalse();
    assertThat(processed("chain", "lower")).isEqualTo(40);
    assertThat(processed("chain", "deliver")).isEqualTo(40);
  }

  @Test
  void withTheSettingOffEveryItemGoesThroughItsStepsQueue(TestServices services) throws Exception {
    start(services, Map.of("CONVEYOR_COLOCATED_STEPS", "false"));

    publish(services, "plain", "off-1", "Hello", "World");

    assertThat(awaitAudit(services, "off-1").outcome()).isEqualTo(TaskAudit.Outcome.DELIVERED);
    assertThat(texts(services, "off-1")).containsExactly("hello", "world");
    assertThat(everQueued(services, "plain", "lower")).isTrue();
    assertThat(everQueued(services, "plain", "deliver")).isTrue();
  }

  @Test
  void aSuspendedStepGetsItsItemsThroughItsQueueAndRunsThemOnceResumed(TestServices services)
      throws Exception {
    start(services, Map.of("CONVEYOR_ADMIN_TOKEN", "s3cret"));
    assertThat(post("/steps/held.lower/suspend").statusCode()).isEqualTo(200);
    assertThat(step("step held.lower").state()).isEqualTo(State.INTERMITTED);

    publish(services, "held", "held-1", "Hello");

    await().atMost(10, SECONDS).until(() -> everQueued(services, "held", "lower"));
    await()
        .during(Duration.ofMillis(1000))
        .atMost(3, SECONDS)
        .until(() -> texts(services, "held-1").isEmpty());
    assertThat(post("/steps/held.lower/resume").statusCode()).isEqualTo(200);
    assertThat(awaitAudit(services, "held-1").outcome()).isEqualTo(TaskAudit.Outcome.DELIVERED);
    assertThat(texts(services, "held-1")).containsExactly("hello");
  }

  @Test
  void anItemACoLocatedStepFailsIsRetriedAndDiesAfterItsAttempts(TestServices services)
      throws Exception {
    start(services, Map.of());

    publish(services, "flaky", "flaky-1", "Again");
    publish(services, "doomed", "doomed-1", "Never");

    assertThat(awaitAudit(services, "flaky-1").outcome()).isEqualTo(TaskAudit.Outcome.DELIVERED);
    assertThat(texts(services, "flaky-1")).containsExactly("AGAIN");
    assertThat(failures("flaky", "again")).isEqualTo(1);
    assertThat(awaitAudit(services, "doomed-1").outcome()).isEqualTo(TaskAudit.Outcome.FAILED);
    List<DeadItem> dead = new DeadItemRepository(services.dataSource()).forTask("doomed-1");
    assertThat(dead).hasSize(1);
    assertThat(dead.getFirst().step()).isEqualTo("again");
    assertThat(dead.getFirst().attempts()).isEqualTo(3);
    assertThat(failures("doomed", "again")).isEqualTo(3);
  }

  @Test
  void aCommandStepGetsItsItemsThroughItsQueueAndTheStepAfterItRunsInItsTick(TestServices services)
      throws Exception {
    start(services, Map.of());
    awaitTicking("python", "deliver");

    publish(services, "python", "py-1", "hello", "world");

    assertThat(awaitAudit(services, "py-1").outcome()).isEqualTo(TaskAudit.Outcome.DELIVERED);
    assertThat(texts(services, "py-1")).containsExactly("HELLO!", "WORLD!");
    assertThat(everQueued(services, "python", "shout")).isTrue();
    assertThat(everQueued(services, "python", "deliver")).isFalse();
  }

  /**
   * Until each step's chain has ticked here: this processor then holds them, so the items of those
   * steps run in their predecessors' ticks.
   */
  private void awaitTicking(String pipeline, String... steps) {
    for (String step : steps) {
      await()
          .atMost(10, SECONDS)
          .until(() -> {
            var t =
                processor
                    .metrics()
                    .find("conveyor_processor_tick")
                    .tag("pipeline", pipeline)
                    .tag("step", step)
                    .timer();
            return t != null && t.count() > 0;
          });
    }
  }

  private void start(TestServices services, Map<String, String> extra) throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Map<String, String> env = new HashMap<>(services.env());
    env.put("CONVEYOR_PIPELINES", dir.toString());
    env.put("CONVEYOR_REDIS_BLOCK", "200ms");
    env.put("CONVEYOR_HTTP_PORT", Integer.toString(port));
    env.putAll(extra);
    config = ProcessorConfig.from(Env.of(env));
    processor = new Processor(config);
    processor.activate();
    processor.start();
  }

  private static void write(String name, String body) throws Exception {
    Files.writeString(
        dir.resolve(name + ".yaml"), "pipeline: " + name + "\nversion: 1\n" + DEFAULTS + body);
  }

  private void publish(TestServices services, String pipeline, String taskId, String... texts) {
    TextTasks.publish(services, config.pipelines().get(pipeline).orElseThrow(), taskId, texts);
  }

  private static TaskAudit awaitAudit(TestServices services, String taskId) {
    return TextTasks.awaitAudit(services, taskId);
  }

  private static List<String> texts(TestServices services, String taskId) {
    return TextTasks.texts(services, "conveyor.texts", taskId);
  }

  /** Whether any entry was ever added to the step's (one) queue. */
  private static boolean everQueued(TestServices services, String pipeline, String step) {
    String queue = services.keys().stepQueue(pipeline, step, 0);
    if (!services.jedis().exists(queue)) {
      return false;
    }
    return !services.jedis().xinfoStream(queue).getLastGeneratedId().toString().equals("0-0");
  }

  private double processed(String pipeline, String step) {
    return processor
        .metrics()
        .get("conveyor_processor_items")
        .tag("pipeline", pipeline)
        .tag("step", step)
        .counter()
        .count();
  }

  private double failures(String pipeline, String step) {
    return processor
        .metrics()
        .get("conveyor_processor_item_failures")
        .tag("pipeline", pipeline)
        .tag("step", step)
        .counter()
        .count();
  }

  private dev.conveyor.common.lifecycle.LifecycleSnapshot step(String name) {
    return StepSnapshots.step(processor, name);
  }

  private HttpResponse<String> post(String path) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .header("Authorization", "Bearer s3cret")
            .POST(HttpRequest.BodyPublishers.noBody())
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
