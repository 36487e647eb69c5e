package dev.conveyor.patrol;

import dev.conveyor.common.config.ConveyorConfig;
import dev.conveyor.common.config.Env;
import dev.conveyor.runtime.pipeline.PipelineLoader;
import dev.conveyor.runtime.pipeline.Pipelines;
import dev.conveyor.runtime.records.RetentionConfig;
import java.time.Duration;

/**
 * The patrol's configuration: the shared one, the loaded pipelines, how often it runs its round
 * ({@code CONVEYOR_PATROL_INTERVAL}), how many tasks a round looks at per pipeline (audit, cleanup)
 * and rows it deletes per table ({@code CONVEYOR_PATROL_BUDGET}), the lease's TTL ({@code
 * CONVEYOR_PATROL_LEASE_TTL}: how long a patrol that died keeps the others waiting), how long a
 * task held below its tolerance keeps its runtime data ({@code CONVEYOR_HELD_RETENTION}) and the
 * retention of rows in PostgreSQL.
 */
public record PatrolConfig(
    ConveyorConfig common,
    Pipelines pipelines,
    Duration interval,
    int budget,
    Duration leaseTtl,
    Duration heldRetention,
    RetentionConfig retention) {

  public static final Duration DEFAULT_LEASE_TTL = Duration.ofSeconds(30);
  public static final Duration DEFAULT_HELD_RETENTION = Duration.ofDays(7);

  public static PatrolConfig from(Env env) {
    ConveyorConfig common = ConveyorConfig.from(env);
    return new PatrolConfig(
        common,
        PipelineLoader.loadDirectory(common.pipelines()),
        env.duration("CONVEYOR_PATROL_INTERVAL", Duration.ofSeconds(10), Duration.ofMillis(100)),
        env.integer("CONVEYOR_PATROL_BUDGET", 20_000, 10, 10_000_000),
        env.duration("CONVEYOR_PATROL_LEASE_TTL", DEFAULT_LEASE_TTL, Duration.ofMillis(300)),
        env.duration("CONVEYOR_HELD_RETENTION", DEFAULT_HELD_RETENTION, Duration.ofSeconds(1)),
        RetentionConfig.from(env));
  }
}
