package dev.conveyor.common.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.joran.spi.JoranException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Loads the real {@code logback.xml} into a private context and captures the chosen appender. */
class LogbackXmlTest {
  private final List<LoggerContext> contexts = new ArrayList<>();

  @AfterEach
  void stopContexts() {
    contexts.forEach(LoggerContext::stop);
  }

  @Test
  void textIsChosenWhenFormatIsText() throws Exception {
    Logger root = configure(Map.of("CONVEYOR_LOG_FORMAT", "text"));

    assertThat(root.getAppender("text")).isInstanceOf(ConsoleAppender.class);
    assertThat(root.getAppender("json")).isNull();
  }

  @Test
  void textIsTheDefaultWhenFormatIsEmpty() throws Exception {
    // why: a context property wins over the environment, so this holds wherever the test runs
    Logger root = configure(Map.of("CONVEYOR_LOG_FORMAT", ""));

    assertThat(root.getAppender("text")).isNotNull();
    assertThat(root.getAppender("json")).isNull();
  }

  @Test
  void unknownFormatFallsBackToTextRatherThanSilence() throws Exception {
    Logger root = configure(Map.of("CONVEYOR_LOG_FORMAT", "xml"));

    assertThat(root.getAppender("text")).isNotNull();
  }

  @Test
  void jsonIsChosenWhenFormatIsJsonInAnyCase() throws Exception {
    Logger root = configure(Map.of("CONVEYOR_LOG_FORMAT", " JSON "));

    assertThat(root.getAppender("json")).isInstanceOf(ConsoleAppender.class);
    assertThat(root.getAppender("text")).isNull();
  }

  @Test
  void textAppenderWritesTheDocumentedLine() throws Exception {
    Logger root = configure(Map.of("CONVEYOR_LOG_FORMAT", "text"));
    var event =
        Events.info("dev.conveyor.processor.ProcessorMain")
            .kv("event", "state")
            .kv("system", "processor")
            .kv("pid", 7)
            .kv("state", "RUNNING")
            .build();

    String out = capture(root.getAppender("text"), event);

    assertThat(out)
        .isEqualTo(
            "2026-03-01T10:15:02.114Z INFO  [main] ProcessorMain"
                + " event=state system=processor pid=7 state=RUNNING"
                + System.lineSeparator());
  }

  @Test
  void textAppenderPrintsTheStackTraceAfterTheLine() throws Exception {
    Logger root = configure(Map.of("CONVEYOR_LOG_FORMAT", "text"));
    var event =
        Events.error(
                "dev.conveyor.common.http.StatusHttpServer", null, new RuntimeException("boom"))
            .kv("event", "http_error")
            .kv("error", "boom")
            .build();

    List<String> lines = capture(root.getAppender("text"), event).lines().toList();

    assertThat(lines.get(0))
        .isEqualTo(
            "2026-03-01T10:15:02.114Z ERROR [main] StatusHttpServer event=http_error error=boom");
    assertThat(lines.get(1)).isEqualTo("java.lang.RuntimeException: boom");
    assertThat(lines.get(2)).startsWith("\tat dev.conveyor.common.logging.LogbackXmlTest");
  }

  @Test
  void jsonAppenderWritesOneJsonObjectPerLine() throws Exception {
    Logger root = configure(Map.of("CONVEYOR_LOG_FORMAT", "json"));
    var event =
        Events.info("dev.conveyor.processor.ProcessorMain")
            .kv("event", "state")
            .kv("pid", 7)
            .build();

    String out = capture(root.getAppender("json"), event);

    assertThat(out)
        .isEqualTo(
            "{\"ts\":\"2026-03-01T10:15:02.114Z\",\"level\":\"INFO\",\"thread\":\"main\","
                + "\"logger\":\"ProcessorMain\",\"event\":\"state\",\"pid\":7}\n");
  }

  @Test
  void logLevelSetsOurLoggersAndLeavesTheRootAtInfo() throws Exception {
    Logger root = configure(Map.of("CONVEYOR_LOG_LEVEL", "DEBUG"));
    LoggerContext context = root.getLoggerContext();

    assertThat(root.getLevel()).isEqualTo(Level.INFO);
    assertThat(context.getLogger("dev.conveyor.processor.StepRunner").isDebugEnabled()).isTrue();
    assertThat(context.getLogger("org.example.Other").isDebugEnabled()).isFalse();
  }

  @Test
  void ourLoggersDefaultToInfoAndNoisyLibrariesAreQuieted() throws Exception {
    LoggerContext context = configure(Map.of("CONVEYOR_LOG_LEVEL", "INFO")).getLoggerContext();

    assertThat(context.getLogger("dev.conveyor.x.Y").getEffectiveLevel()).isEqualTo(Level.INFO);
    assertThat(context.getLogger("org.quartz.core.QuartzScheduler").isInfoEnabled()).isTrue();
    assertThat(context.getLogger("org.quartz.impl.jdbcjobstore.JobStoreTX").isInfoEnabled())
        .as("cluster recovery and misfires are worth an operator's attention")
        .isTrue();
    assertThat(context.getLogger("org.quartz.impl.jdbcjobstore.StdJDBCDelegate").isInfoEnabled())
        .isFalse();
    assertThat(context.getLogger("redis.clients.jedis.Connection").isInfoEnabled()).isFalse();
    assertThat(context.getLogger("org.flywaydb.core.Flyway").isInfoEnabled()).isFalse();
    assertThat(context.getLogger("com.zaxxer.hikari.HikariDataSource").isInfoEnabled()).isTrue();
    assertThat(context.getLogger("com.github.dockerjava.api").isInfoEnabled()).isFalse();
  }

  private Logger configure(Map<String, String> properties) throws JoranException {
    return configure("/logback.xml", properties);
  }

  private Logger configure(String resource, Map<String, String> properties) throws JoranException {
    var context = new LoggerContext();
    context.setMDCAdapter(new LogbackMDCAdapter());
    contexts.add(context);
    properties.forEach(context::putProperty);
    var configurator = new JoranConfigurator();
    configurator.setContext(context);
    configurator.doConfigure(LogbackXmlTest.class.getResource(resource));
    return context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  }

  private static String capture(Appender<ILoggingEvent> appender, ILoggingEvent event) {
    var out = new ByteArrayOutputStream();
    // why: ConsoleAppender writes to System.out; its stream's close() is a no-op, so swapping it
    // leaves the real stdout alone.
    ((ConsoleAppender<ILoggingEvent>) appender).setOutputStream(out);
    appender.doAppend(event);
    return out.toString(StandardCharsets.UTF_8);
  }
}
