package dev.conveyor.e2e;

import static org.awaitility.Awaitility.await;

import dev.conveyor.common.test.TestServices;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * What cleaning up a task costs, as patrol cleans up after a benchmark's runs: the CPU of every
 * role ({@link CpuSplit}) from the first round that cleaned to the last, per task cleaned in
 * between. The grace before that first round is idle time and not counted; neither are the tasks
 * that round had cleaned when it was seen, nor its CPU before then. The polls inside the window
 * stop at the first row the cleanup's own partial index gives, so they cost PostgreSQL next to
 * nothing (the one before it scans the table, but only while nothing is measured); the count runs
 * once.
 */
final class CleanupCost {
  private static final String LEFT = "cleaned_at IS NULL AND cleanup_held_at IS NULL";

  private CleanupCost() {}

  /** Waits until patrol has cleaned every finished task; the cost as a {@link CpuSplit#row}. */
  static String afterTheRuns(TestServices services, Map<Long, String> roles) {
    awaitAnyRow(services, "cleaned_at IS NOT NULL", true);
    long tasks = services.queryLong("SELECT count(*) FROM conveyor.task_audit WHERE " + LEFT);
    CpuSplit start = CpuSplit.take(roles);
    awaitAnyRow(services, LEFT, false);
    return CpuSplit.row(
        String.format(Locale.ROOT, "cleanup after the runs, %,d tasks", tasks),
        CpuSplit.take(roles).perItem(start, Math.max(1, tasks)));
  }

  private static void awaitAnyRow(TestServices services, String where, boolean any) {
    String query =
        "SELECT count(*) FROM (SELECT 1 FROM conveyor.task_audit WHERE "
            + where
            + " LIMIT 1) AS one";
    await()
        .atMost(Duration.ofMinutes(30))
        .pollInterval(Duration.ofSeconds(1))
        .until(() -> services.queryLong(query) == (any ? 1 : 0));
  }
}
