package dev.conveyor.processor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.common.config.Env;
import dev.conveyor.common.lifecycle.State;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@WithServices
class ProcessorShutdownIT {

  @Test
  void aCompletedProcessorLeavesNoThreadsBehind(TestServices services, @TempDir Path pipelines)
      throws Exception {
    Files.writeString(
        pipelines.resolve("echo.yaml"),
        """
        pipeline: echo
        version: 1
        steps:
          - {name: deliver, kind: sink, offset: 50ms, sink: {table: conveyor.echo_rows, key: [task_id, part]}}
        """);
    Map<String, String> env = new HashMap<>(services.env());
    env.put("CONVEYOR_PIPELINES", pipelines.toString());
    env.put("CONVEYOR_REDIS_BLOCK", "200ms");
    env.put("CONVEYOR_HTTP_PORT", "0");
    Processor processor = new Processor(ProcessorConfig.from(Env.of(env)));
    processor.activate();
    processor.start();
    assertThat(processor.isHealthy()).isTrue();

    processor.shutdown();
    processor.shutdown();

    assertThat(processor.state()).isEqualTo(State.COMPLETED);
    assertThat(Thread.getAllStackTraces().keySet())
        .filteredOn(Thread::isAlive)
        .extracting(Thread::getName)
        .noneMatch(n ->
            n.startsWith("quartz")
                || n.startsWith("conveyor_")
                || n.startsWith("step-")
                || n.equals("heartbeat"));
  }
}
