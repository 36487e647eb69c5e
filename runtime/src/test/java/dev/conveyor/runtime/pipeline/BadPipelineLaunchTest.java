package dev.conveyor.runtime.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.conveyor.common.config.Env;
import dev.conveyor.common.daemon.Launcher;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** A bad pipeline file is a configuration error: a daemon refuses to start as for a bad value. */
class BadPipelineLaunchTest {
  private final Logger logger = (Logger) LoggerFactory.getLogger(Launcher.class);
  private final ListAppender<ILoggingEvent> events = new ListAppender<>();

  @BeforeEach
  void capture() {
    events.start();
    logger.addAppender(events);
  }

  @AfterEach
  void release() {
    logger.detachAppender(events);
  }

  @Test
  void aBadPipelineFileRefusesTheStartWithOneLineAndExitCodeTwo() {
    int code =
        Launcher.run(
            "dispatcher",
            Env.of(Map.of()),
            env -> {
              PipelineLoader.loadDirectory(Path.of("/nonexistent/pipelines"));
              throw new AssertionError("the pipelines should have been refused");
            });

    assertThat(code).isEqualTo(2);
    assertThat(events.list).hasSize(1);
    assertThat(events.list.getFirst().getKeyValuePairs())
        .anyMatch(kv ->
            kv.key.equals("error") && String.valueOf(kv.value).contains("/nonexistent/pipelines"));
  }
}
