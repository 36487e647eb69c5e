package dev.conveyor.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.ConsoleAppender;
import org.junit.jupiter.api.Test;

/** The CLI's {@code logback-cli.xml}: stdout holds the command's output and nothing else. */
class LogbackCliXmlTest {
  @Test
  void theCliWritesOnlyWarningsToStderrAndLeavesHikariToItsOwnMessages() throws Exception {
    LoggerContext context = new LoggerContext();
    try {
      context.setMDCAdapter(new LogbackMDCAdapter());
      JoranConfigurator configurator = new JoranConfigurator();
      configurator.setContext(context);
      configurator.doConfigure(LogbackCliXmlTest.class.getResource("/" + Conveyor.LOGBACK_CONFIG));
      Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);

      assertThat(root.getLevel()).isEqualTo(Level.WARN);
      assertThat(((ConsoleAppender<ILoggingEvent>) root.getAppender("stderr")).getTarget())
          .isEqualTo("System.err");
      assertThat(root.iteratorForAppenders()).toIterable().hasSize(1);
      assertThat(context.getLogger("dev.conveyor.runtime.ledger.DeadLetters").isWarnEnabled())
          .isTrue();
      assertThat(context.getLogger("org.postgresql.Driver").isInfoEnabled()).isFalse();
      assertThat(context.getLogger("com.zaxxer.hikari.pool.HikariPool").isErrorEnabled())
          .as("the CLI reports an unreachable database itself, in one line")
          .isFalse();
    } finally {
      context.stop();
    }
  }
}
