package dev.conveyor.dispatcher;

import dev.conveyor.common.config.ConveyorConfig;
import dev.conveyor.common.config.Env;
import dev.conveyor.common.pipeline.PipelineLoader;
import dev.conveyor.common.pipeline.Pipelines;

/**
 * The dispatcher's configuration: the shared one, the loaded pipelines, and how many inbox entries
 * one read takes ({@code CONVEYOR_DISPATCH_BATCH}).
 */
public record DispatcherConfig(ConveyorConfig common, Pipelines pipelines, int batch) {

  /** Reads the environment and loads the pipelines; a bad file refuses the start. */
  public static DispatcherConfig from(Env env) {
    ConveyorConfig common = ConveyorConfig.from(env);
    return new DispatcherConfig(
        common,
        PipelineLoader.loadDirectory(common.pipelines()),
        env.integer("CONVEYOR_DISPATCH_BATCH", 100, 1, 10_000));
  }
}
