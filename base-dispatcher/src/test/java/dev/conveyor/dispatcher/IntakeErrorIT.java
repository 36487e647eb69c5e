package dev.conveyor.dispatcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conveyor.common.outage.ServiceWatch;
import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.redis.StreamGroup;
import dev.conveyor.common.test.CapturedLog;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import dev.conveyor.runtime.ledger.TaskIntake;
import dev.conveyor.runtime.pipeline.PipelineLoader;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.StreamEntryID;

/**
 * An {@link Error} met while handling a batch (a bug: a stack overflow, a missing class) does not
 * end the intake: it is logged once with its stack trace, and the loop goes on; the entries were
 * not acknowledged, so they are read again.
 */
@WithServices
class IntakeErrorIT {
  @Test
  void anErrorWhileHandlingABatchIsLoggedWithItsTraceAndTheIntakeGoesOn(
      TestServices services, @TempDir Path dir) throws Exception {
    Files.writeString(
        dir.resolve("fan.yaml"),
        """
        pipeline: fan
        version: 1
        steps:
          - {name: a, kind: sink, sink: {table: conveyor.echo_rows, key: [task_id, part]}}
        """);
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    StreamGroup inbox =
        new StreamGroup(services.jedis(), services.keys().inbox(), Keys.DISPATCHER_GROUP);
    Backpressure backpressure =
        new Backpressure(
            PipelineLoader.loadDirectory(dir),
            new TaskIntake(services.jedis(), services.keys()),
            Clock.systemUTC(),
            new IntakeMetrics(registry));
    AtomicInteger calls = new AtomicInteger();
    List<String> handled = new CopyOnWriteArrayList<>();
    InboxConsumer.Batches batches =
        (entries, deliveries) -> {
          if (calls.incrementAndGet() == 1) {
            throw new StackOverflowError();
          }
          entries.forEach(e -> handled.add(e.id()));
          return new BatchHandler.Summary(entries.size(), 0, 0);
        };
    InboxConsumer intake =
        new InboxConsumer(
            () -> new InboxConsumer.Parts(inbox, batches, backpressure),
            "error-node",
            10,
            Duration.ofMillis(200),
            Duration.ofSeconds(60),
            Clock.systemUTC(),
            new ServiceWatch(Map.of(), registry, Clock.systemUTC()));
    StreamEntryID id =
        services
            .jedis()
            .xadd(
                services.keys().inbox(),
                StreamEntryID.NEW_ENTRY,
                Map.of("pipeline", "fan", "id", "e-1", "payload", "{}"));
    try (CapturedLog log = new CapturedLog(InboxConsumer.class)) {
      intake.activate();
      intake.start();
      await().atMost(Duration.ofSeconds(15)).until(() -> handled.contains(id.toString()));
      assertThat(log.events("intake_error"))
          .singleElement()
          .satisfies(e -> {
            assertThat(e).containsEntry("level", "ERROR");
            assertThat(String.valueOf(e.get("error"))).contains("StackOverflowError");
          });
      assertThat(intake.state().name()).isEqualTo("RUNNING");
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() ->
              services.jedis().xpending(services.keys().inbox(), Keys.DISPATCHER_GROUP).getTotal()
                  == 0);
    } finally {
      intake.shutdown();
    }
    assertThat(handled).containsExactly(id.toString());
  }
}
