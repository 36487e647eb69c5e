package dev.conveyor.runtime.pipeline;

import dev.conveyor.common.config.Durations;
import java.time.Duration;
import java.util.List;

/**
 * The step settings that {@code defaults:} may set, resolved in layers: built-in defaults, then the
 * pipeline's {@code defaults:}, then the step's own keys (retry field by field).
 */
record StepSettings(
    int batch,
    Duration batchWait,
    Duration offset,
    Duration slice,
    int shards,
    int workers,
    int attempts,
    Duration backoff,
    Duration maxBackoff,
    Duration timeout) {

  /** The keys these settings are read from, in documentation order. */
  static final List<String> KEYS =
      List.of("batch", "batch_wait", "offset", "slice", "shards", "workers", "retry", "timeout");

  static final List<String> RETRY_KEYS = List.of("attempts", "backoff", "max_backoff");

  static final StepSettings BUILT_IN =
      new StepSettings(
          StepDef.DEFAULT_BATCH,
          StepDef.DEFAULT_BATCH_WAIT,
          StepDef.DEFAULT_OFFSET,
          StepDef.DEFAULT_SLICE,
          StepDef.DEFAULT_SHARDS,
          StepDef.DEFAULT_WORKERS,
          RetryPolicy.DEFAULT_ATTEMPTS,
          RetryPolicy.DEFAULT_BACKOFF,
          RetryPolicy.DEFAULT_MAX_BACKOFF,
          StepDef.DEFAULT_TIMEOUT);

  /** These settings with every key that {@code f} sets (and reads well) taking precedence. */
  StepSettings overriddenBy(YamlFields f) {
    int newBatch = f.integer("batch", 1, StepDef.MAX_BATCH).orElse(batch);
    Duration newBatchWait = f.duration("batch_wait", true).orElse(batchWait);
    Duration newOffset = f.duration("offset", true).orElse(offset);
    Duration newSlice = f.duration("slice", false).orElse(slice);
    int newShards = f.integer("shards", 1, StepDef.MAX_SHARDS).orElse(shards);
    int newWorkers = f.integer("workers", 1, StepDef.MAX_WORKERS).orElse(workers);
    int newAttempts = attempts;
    Duration newBackoff = backoff;
    Duration newMaxBackoff = maxBackoff;
    var retry = f.mapping("retry");
    if (retry.isPresent()) {
      YamlFields r = retry.get();
      r.rejectUnknownKeys(RETRY_KEYS);
      newAttempts = r.integer("attempts", 1, Integer.MAX_VALUE).orElse(attempts);
      newBackoff = r.duration("backoff", false).orElse(backoff);
      newMaxBackoff = r.duration("max_backoff", false).orElse(maxBackoff);
      if (newBackoff.compareTo(newMaxBackoff) > 0) {
        r.problem(
            r.label("backoff")
                + " ("
                + Durations.format(newBackoff)
                + ") must not exceed "
                + r.label("max_backoff")
                + " ("
                + Durations.format(newMaxBackoff)
                + ")");
      }
    }
    Duration newTimeout = f.duration("timeout", false).orElse(timeout);
    return new StepSettings(
        newBatch,
        newBatchWait,
        newOffset,
        newSlice,
        newShards,
        newWorkers,
        newAttempts,
        newBackoff,
        newMaxBackoff,
        newTimeout);
  }

  RetryPolicy retry() {
    return new RetryPolicy(attempts, backoff, maxBackoff);
  }
}
