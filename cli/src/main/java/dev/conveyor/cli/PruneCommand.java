package dev.conveyor.cli;

import dev.conveyor.common.config.Durations;
import dev.conveyor.common.db.Fence;
import dev.conveyor.runtime.records.Retention;
import dev.conveyor.runtime.records.RetentionConfig;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import javax.sql.DataSource;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code conveyor prune [--dry-run] [--json]}: deletes now what is past its retention in PostgreSQL
 * ({@code task_audit} past the dedupe window, {@code dead_items} with their snapshots, {@code
 * rejected_messages}), with the retention settings of its environment and the same rules (the same
 * {@link Retention}) as patrol, which does it every round anyway. {@code --dry-run} counts what it
 * would delete. Safe while the daemons run: a batch of patrol's and one of prune's never delete a
 * row twice, and rows a replay is working on are skipped.
 */
@Command(
    name = "prune",
    description = {
      "Delete what is past its retention in PostgreSQL now (patrol does it every round):"
          + " task_audit rows past CONVEYOR_DEDUPE_WINDOW, dead_items (and their snapshots) past"
          + " CONVEYOR_DEAD_RETENTION, rejected_messages past CONVEYOR_REJECTED_RETENTION.",
    },
    exitCodeListHeading = Conveyor.EXIT_CODES,
    exitCodeList = {
      "0:done (also when there was nothing to delete)",
      Conveyor.USAGE_ERROR_LINE,
      "3:PostgreSQL unreachable or failing",
      Conveyor.INTERNAL_ERROR_LINE
    })
final class PruneCommand implements Callable<Integer> {
  private final CliContext context;
  private final Clock clock;

  @Mixin private CommandIo io;

  @Option(names = "--dry-run", description = "count what would be deleted, delete nothing")
  private boolean dryRun;

  @Option(names = "--json", description = "one JSON object")
  private boolean json;

  PruneCommand(CliContext context, Clock clock) {
    this.context = context;
    this.clock = clock;
  }

  @Override
  public Integer call() {
    RetentionConfig config = context.retention();
    DataSource pg = context.postgres();
    Retention retention = new Retention(pg, config);
    Instant now = clock.instant();
    Retention.Cutoffs cut = retention.cutoffs(now);
    Retention.Counts counts =
        dryRun ? retention.due(now) : retention.delete(now, Fence.plain(pg), Long.MAX_VALUE);
    PrintWriter out = io.out();
    if (json) {
      Map<String, Object> rows = new LinkedHashMap<>();
      rows.put("task_audit", counts.taskAudit());
      rows.put("dead_items", counts.deadItems());
      rows.put("task_snapshots", counts.taskSnapshots());
      rows.put("rejected_messages", counts.rejectedMessages());
      Map<String, Object> cutoffs = new LinkedHashMap<>();
      cutoffs.put("task_audit", cut.taskAudit().toString());
      cutoffs.put("dead_items", cut.deadItems().toString());
      cutoffs.put("task_snapshots", cut.deadItems().toString());
      cutoffs.put("rejected_messages", cut.rejectedMessages().toString());
      Map<String, Object> answer = new LinkedHashMap<>();
      answer.put("dry_run", dryRun);
      answer.put("rows", rows);
      answer.put("total", counts.total());
      answer.put("older_than", cutoffs);
      io.printJson(answer);
      return Conveyor.EXIT_OK;
    }
    String verb = dryRun ? "would delete" : "deleted";
    out.println(
        verb
            + " past retention (dedupe window "
            + Durations.format(config.dedupeWindow())
            + ", dead items "
            + Durations.format(config.deadRetention())
            + ", rejected messages "
            + Durations.format(config.rejectedRetention())
            + ")");
    Table t = new Table().row("TABLE", "ROWS", "OLDER THAN");
    t.row("task_audit", counts.taskAudit(), second(cut.taskAudit()));
    t.row("dead_items", counts.deadItems(), second(cut.deadItems()));
    t.row("task_snapshots", counts.taskSnapshots(), second(cut.deadItems()));
    t.row("rejected_messages", counts.rejectedMessages(), second(cut.rejectedMessages()));
    t.lines("  ").forEach(out::println);
    out.println(verb + " " + counts.total() + " rows");
    return Conveyor.EXIT_OK;
  }

  private static Instant second(Instant t) {
    return t.truncatedTo(ChronoUnit.SECONDS);
  }
}
