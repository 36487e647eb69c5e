/**
 * The task ledger: the runtime state of tasks in Redis, over the one key builder ({@link
 * dev.conveyor.common.redis.Keys}), split by who uses it.
 *
 * <ul>
 *   <li>{@link dev.conveyor.runtime.ledger.TaskIntake}: the dispatcher registers tasks, takes back
 *       duplicates, fans them out to their entry steps, counts those in flight;
 *   <li>{@link dev.conveyor.runtime.ledger.StepLedger}: the processor reads its items' inputs,
 *       records outputs and dead items, retries, enqueues (patrol's re-drive and replay enqueue
 *       too);
 *   <li>{@link dev.conveyor.runtime.ledger.Advance}: the one rule for what an item goes to next and
 *       which tasks finish, after a step recorded it (the processor, and patrol killing stuck
 *       items);
 *   <li>{@link dev.conveyor.runtime.ledger.TaskFinishing}, used by {@link
 *       dev.conveyor.runtime.ledger.TaskCompletion}: what audit rows need, and marking tasks
 *       finished;
 *   <li>{@link dev.conveyor.runtime.ledger.TaskLookup}: read only — a task's meta, pulses, what
 *       passed where (patrol's audit, {@link dev.conveyor.runtime.ledger.TaskReport}, the CLI);
 *   <li>{@link dev.conveyor.runtime.ledger.TaskSweep}: patrol walks the in-flight and finished
 *       indexes, notes re-drives, deletes finished tasks' keys, re-opens tasks for a replay; {@link
 *       dev.conveyor.runtime.ledger.TaskSnapshots} keeps and restores the data of tasks with dead
 *       items.
 * </ul>
 *
 * The meta hash's field names are {@link dev.conveyor.runtime.ledger.TaskFields}'; the Lua scripts
 * ({@code dev/conveyor/lua}) spell them as literals, checked against it by a test.
 */
package dev.conveyor.runtime.ledger;
