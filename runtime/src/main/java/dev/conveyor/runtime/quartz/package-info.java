/**
 * Everything about Quartz that the processors and patrol share: the store ({@link
 * dev.conveyor.runtime.quartz.QuartzStore}: scheduler name, table prefix, settings), its
 * connections ({@link dev.conveyor.runtime.quartz.QuartzConnections}), every statement of ours on
 * its tables ({@link dev.conveyor.runtime.quartz.QuartzTables}), the names and job of a step
 * shard's chain ({@link dev.conveyor.runtime.quartz.ChainKey}) and the tick job ({@link
 * dev.conveyor.runtime.quartz.StepTickJob}, which hands the run to the processor's {@link
 * dev.conveyor.runtime.quartz.ChainRunner}). The tables themselves are created by the migrations in
 * {@code common}. The processor keeps its scheduler's lifecycle and the chains' behaviour, patrol
 * its read-only client and the chain repair.
 */
package dev.conveyor.runtime.quartz;
