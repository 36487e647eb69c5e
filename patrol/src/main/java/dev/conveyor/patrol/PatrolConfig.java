package dev.conveyor.patrol;

import dev.conveyor.common.config.ConveyorConfig;
import dev.conveyor.common.config.Env;
import dev.conveyor.common.pipeline.PipelineLoader;
import dev.conveyor.common.pipeline.Pipelines;
import java.time.Duration;

/**
 * The patrol's configuration: the shared one, the loaded pipelines, and how often it runs its cycle
 * ({@code CONVEYOR_PATROL_INTERVAL}).
 */
public record PatrolConfig(ConveyorConfig common, Pipelines pipelines, Duration interval) {

  public static PatrolConfig from(Env env) {
    ConveyorConfig common = ConveyorConfig.from(env);
    return new PatrolConfig(
        common,
        PipelineLoader.loadDirectory(common.pipelines()),
        env.duration("CONVEYOR_PATROL_INTERVAL", Duration.ofSeconds(10), Duration.ofMillis(100)));
  }
}
