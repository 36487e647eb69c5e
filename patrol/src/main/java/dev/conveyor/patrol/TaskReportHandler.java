package dev.conveyor.patrol;

import dev.conveyor.common.http.Handler;
import dev.conveyor.common.http.HttpRequest;
import dev.conveyor.common.http.HttpResponse;
import dev.conveyor.common.redis.Keys;
import dev.conveyor.runtime.ledger.TaskReport;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * {@code GET /tasks/<id>}: where one task stands ({@link TaskReport}); 400 for what is not a task
 * id, 404 when no task has this id.
 */
final class TaskReportHandler implements Handler {
  private final Supplier<TaskReport> report;

  /**
   * @param report the report, asked per request (patrol builds it once Redis and PostgreSQL are
   *     ready)
   */
  TaskReportHandler(Supplier<TaskReport> report) {
    this.report = report;
  }

  @Override
  public HttpResponse handle(HttpRequest request) {
    String id = request.wildcard();
    if (!Keys.TASK_ID.matcher(id).matches()) {
      return HttpResponse.json(400, Map.of("error", "not a task id: " + id));
    }
    Optional<Map<String, Object>> status = report.get().status(id);
    return status
        .map(s -> HttpResponse.json(200, s))
        .orElseGet(() -> HttpResponse.json(404, Map.of("error", "no task " + id, "task_id", id)));
  }
}
