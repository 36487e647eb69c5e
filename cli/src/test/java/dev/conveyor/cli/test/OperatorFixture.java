package dev.conveyor.cli.test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.redis.StreamGroup;
import dev.conveyor.common.redis.StreamMessage;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.runtime.ledger.QueueItem;
import dev.conveyor.runtime.ledger.Registration;
import dev.conveyor.runtime.ledger.StepLedger;
import dev.conveyor.runtime.ledger.StepProgress;
import dev.conveyor.runtime.ledger.TaskIntake;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.PipelineLoader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the tests of the operator commands share: the pipeline {@code flow} (a java step {@code
 * fix}, then the sink {@code deliver}) in a directory of its own, the environment the CLI runs
 * with, and the processor's part played by hand through {@link StepLedger}, as the processor does
 * it.
 */
public final class OperatorFixture {
  /** The daemons' admin token. */
  public static final String TOKEN = "s3cret-token";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path pipelines;
  private final Pipeline flow;

  private OperatorFixture(Path pipelines, Pipeline flow) {
    this.pipelines = pipelines;
    this.flow = flow;
  }

  /** Writes {@code flow.yaml} into {@code dir} and loads it. */
  public static OperatorFixture create(Path dir) throws IOException {
    Files.writeString(
        dir.resolve("flow.yaml"),
        """
        pipeline: flow
        version: 1
        max_in_flight: 5
        steps:
          - {name: fix, kind: java, class: dev.conveyor.runtime.step.builtin.Identity}
          - name: deliver
            kind: sink
            after: [fix]
            sink: {table: conveyor.echo_rows, key: [task_id, part]}
        """);
    return new OperatorFixture(dir, PipelineLoader.loadDirectory(dir).get("flow").orElseThrow());
  }

  public Pipeline flow() {
    return flow;
  }

  /** The services' environment with the pipelines directory and no admin token. */
  public Map<String, String> env(TestServices services) {
    Map<String, String> env = new HashMap<>(services.env());
    env.put("CONVEYOR_PIPELINES", pipelines.toString());
    env.remove("CONVEYOR_ADMIN_TOKEN");
    return env;
  }

  /** {@link #env} with {@code CONVEYOR_ADMIN_TOKEN} set to {@code token}. */
  public Map<String, String> withToken(TestServices services, String token) {
    Map<String, String> env = env(services);
    env.put("CONVEYOR_ADMIN_TOKEN", token);
    return env;
  }

  /** Registers and dispatches task {@code id} of {@code flow}, with one part. */
  public void register(TestServices services, String id) {
    TaskIntake intake = new TaskIntake(services.jedis(), services.keys());
    Registration r = new Registration(id, flow, "1-0", Instant.now(), List.of("{\"text\":\"x\"}"));
    intake.registerAll(List.of(r));
    intake.dispatchAll(List.of(r));
  }

  /** Reads and acknowledges what waits in {@code step}'s queue, as a processor does. */
  public List<QueueItem> take(TestServices services, String step) {
    StreamGroup q =
        new StreamGroup(
            services.jedis(), services.keys().stepQueue("flow", step, 0), Keys.PROCESSOR_GROUP);
    q.ensure();
    List<StreamMessage> read = q.readNew(Keys.PROCESSOR_CONSUMER, 100, Duration.ofMillis(100));
    q.ack(read.stream().map(StreamMessage::id).toList());
    return read.stream().map(QueueItem::from).flatMap(Optional::stream).toList();
  }

  public StepProgress progress(String step) {
    return StepProgress.of(flow, flow.step(step).orElseThrow());
  }

  /** One line of the CLI's JSON output. */
  public static JsonNode json(String line) {
    try {
      return JSON.readTree(line);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
