package dev.conveyor.common.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.conveyor.common.config.ConveyorConfig;
import dev.conveyor.common.config.Env;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class LauncherTest {
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
  void aBadValueIsOneErrorLineNamingTheVariableAndExitCodeTwo() {
    int code =
        Launcher.run(
            "processor",
            Env.of(Map.of("CONVEYOR_HTTP_PORT", "eighty")),
            env -> {
              ConveyorConfig.from(env);
              throw new AssertionError("the configuration should have been refused");
            });

    assertThat(code).isEqualTo(2);
    assertThat(events.list).hasSize(1);
    ILoggingEvent line = events.list.getFirst();
    assertThat(line.getLevel().toString()).isEqualTo("ERROR");
    assertThat(line.getThrowableProxy()).as("an expected failure has no stack trace").isNull();
    assertThat(line.getKeyValuePairs())
        .extracting(kv -> kv.key + "=" + kv.value)
        .containsExactly(
            "event=config_error",
            "role=processor",
            "error=CONVEYOR_HTTP_PORT must be an integer from 0 to 65535, was 'eighty'");
  }
}
