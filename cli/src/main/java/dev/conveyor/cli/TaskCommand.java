package dev.conveyor.cli;

import dev.conveyor.common.redis.Keys;
import dev.conveyor.runtime.ledger.QueuedMessages;
import dev.conveyor.runtime.ledger.TaskLookup;
import dev.conveyor.runtime.ledger.TaskReport;
import dev.conveyor.runtime.pipeline.Pipelines;
import dev.conveyor.runtime.records.DeadItemRepository;
import dev.conveyor.runtime.records.RejectedMessageRepository;
import dev.conveyor.runtime.records.TaskAuditRepository;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import javax.sql.DataSource;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code conveyor task ID [--json]}: where one task stands ({@link TaskReport}) — from Redis while
 * it is in flight or not yet cleaned up, from {@code task_audit} and {@code dead_items} after. Exit
 * {@value Conveyor#EXIT_NOT_FOUND} when no task has this id.
 */
@Command(
    name = "task",
    description = {
      "Where one task stands: pipeline, parts, per step how many items passed it, dead items,"
          + " outcome.",
      "From Redis while the task is in flight, from task_audit and dead_items after cleanup.",
    },
    exitCodeListHeading = Conveyor.EXIT_CODES,
    exitCodeList = {
      "0:the task was found",
      "1:no task has this id",
      Conveyor.USAGE_ERROR_LINE,
      Conveyor.UNREACHABLE_LINE,
      Conveyor.INTERNAL_ERROR_LINE
    })
final class TaskCommand implements Callable<Integer> {
  private final CliContext context;

  /** Inbox entries a lookup of a message that is no task reads at most, as patrol's. */
  static final int QUEUED_SCAN_LIMIT = 10_000;

  @Mixin private CommandIo io;

  @Parameters(paramLabel = "ID", description = "the task's id (the inbound message's id)")
  private String id;

  @Option(
      names = "--json",
      description = "print the report as one JSON object, as patrol's GET /tasks/<id> does")
  private boolean json;

  TaskCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() {
    if (!Keys.TASK_ID.matcher(id).matches()) {
      throw io.usageError("not a task id: '" + id + "' (1-128 characters of A-Z a-z 0-9 . _ : -)");
    }
    // why: in this order, a bad setting or pipeline file is reported before anything connects
    Pipelines pipelines = context.pipelines();
    TaskLookup tasks = new TaskLookup(context.redis(), context.keys());
    DataSource pg = context.postgres();
    TaskReport report =
        new TaskReport(
            pipelines,
            tasks,
            new TaskAuditRepository(pg),
            new DeadItemRepository(pg),
            new RejectedMessageRepository(pg),
            new QueuedMessages(context.inboxRedis(), context.keys(), QUEUED_SCAN_LIMIT));
    Optional<Map<String, Object>> status = report.status(id);
    if (status.isEmpty()) {
      io.problem("no task " + id);
      return Conveyor.EXIT_NOT_FOUND;
    }
    if (json) {
      io.printJson(status.get());
    } else {
      TaskText.lines(status.get()).forEach(io.out()::println);
    }
    return Conveyor.EXIT_OK;
  }
}
