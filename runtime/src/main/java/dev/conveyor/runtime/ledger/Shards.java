package dev.conveyor.runtime.ledger;

import dev.conveyor.common.redis.Keys;
import dev.conveyor.runtime.pipeline.StepDef;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/** Routes a task to a shard of a step by a stable hash of its id: all daemons agree. */
public final class Shards {
  private Shards() {}

  /** 0 .. shards-1, the same for the same task id on every machine and every run. */
  public static int of(String taskId, int shards) {
    if (shards <= 1) {
      return 0;
    }
    CRC32C crc = new CRC32C();
    crc.update(taskId.getBytes(StandardCharsets.UTF_8));
    return (int) (crc.getValue() % shards);
  }

  /** The queue of the step's shard that the task's items go to. */
  public static String queue(Keys keys, String pipeline, StepDef step, String taskId) {
    return keys.stepQueue(pipeline, step.name(), of(taskId, step.shards()));
  }
}
