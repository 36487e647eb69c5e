package dev.conveyor.runtime.records;

import dev.conveyor.common.db.Fence;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import javax.sql.DataSource;

/**
 * Deletes Conveyor's own rows once past their retention ({@link RetentionConfig}), in batches of
 * {@value #BATCH} rows, each batch one transaction of the given {@link Fence}: patrol runs it every
 * round behind its lease, {@code conveyor prune} on demand. The one place these rules live:
 *
 * <ul>
 *   <li>{@code dead_items}: died before the dead items' cut-off; with the task's last dead item
 *       goes its snapshot;
 *   <li>{@code task_snapshots}: also any taken before that cut-off (a safety net);
 *   <li>{@code task_audit}: cleaned, finished before the dedupe window's cut-off, and no dead item
 *       of the task kept — never a row of a task whose runtime data is still in Redis;
 *   <li>{@code rejected_messages}: received before their cut-off.
 * </ul>
 */
public final class Retention {
  /** Rows one statement deletes at most. */
  public static final int BATCH = 1_000;

  private final RetentionConfig config;
  private final TaskAuditRepository audit;
  private final DeadItemRepository dead;
  private final TaskSnapshotRepository snapshots;
  private final RejectedMessageRepository rejected;

  public Retention(DataSource dataSource, RetentionConfig config) {
    this.config = config;
    this.audit = new TaskAuditRepository(dataSource);
    this.dead = new DeadItemRepository(dataSource);
    this.snapshots = new TaskSnapshotRepository(dataSource);
    this.rejected = new RejectedMessageRepository(dataSource);
  }

  /** Rows per table: what was deleted, or (a dry run) what would be. */
  public record Counts(long taskAudit, long deadItems, long taskSnapshots, long rejectedMessages) {
    public long total() {
      return taskAudit + deadItems + taskSnapshots + rejectedMessages;
    }
  }

  /** The cut-offs at {@code now}: rows older than these go. */
  public record Cutoffs(Instant taskAudit, Instant deadItems, Instant rejectedMessages) {}

  public RetentionConfig config() {
    return config;
  }

  public Cutoffs cutoffs(Instant now) {
    return new Cutoffs(
        now.minus(config.dedupeWindow()),
        now.minus(config.deadRetention()),
        now.minus(config.rejectedRetention()));
  }

  /** What {@link #delete} would delete at {@code now} with no limit (a dry run). */
  public Counts due(Instant now) {
    Cutoffs cut = cutoffs(now);
    return new Counts(
        audit.countExpired(cut.taskAudit(), cut.deadItems()),
        dead.countExpired(cut.deadItems()),
        snapshots.countExpired(cut.deadItems()),
        rejected.countExpired(cut.rejectedMessages()));
  }

  /**
   * Deletes what is past its retention at {@code now}, at most {@code maxPerTable} rows of each
   * table, batch by batch.
   *
   * @throws LeaseLostException from the fence: the batches done so far stay done
   */
  public Counts delete(Instant now, Fence fence, long maxPerTable) {
    Cutoffs cut = cutoffs(now);
    long[] snapshotsWithDead = {0};
    long deadRows =
        batches(
            maxPerTable,
            n ->
                fence.run(c -> {
                  List<String> tasks = dead.deleteExpired(c, cut.deadItems(), n);
                  snapshotsWithDead[0] +=
                      snapshots.deleteWithoutDeadItems(c, new LinkedHashSet<>(tasks));
                  return tasks.size();
                }));
    long snapshotRows =
        snapshotsWithDead[0]
            + batches(
                maxPerTable, n -> fence.run(c -> snapshots.deleteExpired(c, cut.deadItems(), n)));
    long auditRows =
        batches(
            maxPerTable,
            n -> fence.run(c -> audit.deleteExpired(c, cut.taskAudit(), cut.deadItems(), n)));
    long rejectedRows =
        batches(
            maxPerTable, n -> fence.run(c -> rejected.deleteExpired(c, cut.rejectedMessages(), n)));
    return new Counts(auditRows, deadRows, snapshotRows, rejectedRows);
  }

  @FunctionalInterface
  private interface Batch {
    int delete(int limit);
  }

  /** Runs {@code batch} until one deletes less than it may, or {@code max} rows in all. */
  private static long batches(long max, Batch batch) {
    long done = 0;
    while (done < max) {
      int limit = (int) Math.min(BATCH, max - done);
      int n = batch.delete(limit);
      done += n;
      if (n < limit) {
        break;
      }
    }
    return done;
  }
}
