package dev.conveyor.patrol;

import dev.conveyor.common.config.ConveyorConfig;
import dev.conveyor.common.config.Env;
import dev.conveyor.common.pipeline.PipelineLoader;
import dev.conveyor.common.pipeline.Pipelines;
import java.time.Duration;

/**
 * The patrol's configuration: the shared one, the loaded pipelines, how often it runs its round
 * ({@code CONVEYOR_PATROL_INTERVAL}) and how many tasks a round looks at, per pipeline for the
 * audit and in all for the cleanup ({@code CONVEYOR_PATROL_BUDGET}).
 */
public record PatrolConfig(
    ConveyorConfig common, Pipelines pipelines, Duration interval, int budget) {

  public static PatrolConfig from(Env env) {
    ConveyorConfig common = ConveyorConfig.from(env);
    return new PatrolConfig(
        common,
        PipelineLoader.loadDirectory(common.pipelines()),
        env.duration("CONVEYOR_PATROL_INTERVAL", Duration.ofSeconds(10), Duration.ofMillis(100)),
        env.integer("CONVEYOR_PATROL_BUDGET", 20_000, 10, 10_000_000));
  }

  /** The lease outlives three missed rounds, so a slow round does not lose it. */
  public Duration leaseTtl() {
    Duration three = interval.multipliedBy(3);
    return three.compareTo(Duration.ofSeconds(30)) < 0 ? Duration.ofSeconds(30) : three;
  }
}
