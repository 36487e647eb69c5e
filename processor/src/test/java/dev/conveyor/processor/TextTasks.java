package dev.conveyor.processor;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.awaitility.Awaitility.await;

import dev.conveyor.common.test.TestServices;
import dev.conveyor.runtime.ledger.Registration;
import dev.conveyor.runtime.ledger.TaskIntake;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.records.TaskAudit;
import dev.conveyor.runtime.records.TaskAuditRepository;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Tasks of {"text": ...} parts for the processor's pipeline tests: registered and fanned out as the
 * dispatcher would, their audit rows awaited, their delivered texts read back.
 */
final class TextTasks {
  private TextTasks() {}

  /** Registers the task, one part per text, and puts its parts on the pipeline's first queues. */
  static void publish(TestServices services, Pipeline pipeline, String taskId, String... texts) {
    List<String> parts = new ArrayList<>();
    for (String t : texts) {
      parts.add("{\"text\":\"" + t + "\"}");
    }
    TaskIntake intake = new TaskIntake(services.jedis(), services.keys());
    Registration r = new Registration(taskId, pipeline, "1-0", java.time.Instant.now(), parts);
    intake.registerAll(List.of(r));
    intake.dispatchAll(List.of(r));
  }

  /** The task's audit row, once it is written (at most 30 s). */
  static TaskAudit awaitAudit(TestServices services, String taskId) {
    TaskAuditRepository audits = new TaskAuditRepository(services.dataSource());
    await().atMost(30, SECONDS).until(() -> audits.find(taskId).isPresent());
    return audits.find(taskId).orElseThrow();
  }

  /** The {@code text} column of the task's rows in {@code table}, by part. */
  static List<String> texts(TestServices services, String table, String taskId) {
    List<String> texts = new ArrayList<>();
    try (var c = services.dataSource().getConnection();
        var ps =
            c.prepareStatement("SELECT text FROM " + table + " WHERE task_id = ? ORDER BY part")) {
      ps.setString(1, taskId);
      try (var rs = ps.executeQuery()) {
        while (rs.next()) {
          texts.add(rs.getString(1));
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    return texts;
  }
}
