package dev.conveyor.processor;

import dev.conveyor.common.config.ConveyorConfig;
import dev.conveyor.common.config.Durations;
import dev.conveyor.common.config.Env;
import dev.conveyor.runtime.pipeline.PipelineLoader;
import dev.conveyor.runtime.pipeline.Pipelines;
import java.time.Duration;
import java.util.Objects;

/**
 * The processor's configuration: the shared one, the loaded pipelines, and its Quartz settings.
 *
 * @param threads Quartz worker threads: step ticks that may run at once on this node (0 = one per
 *     step shard, at most 64)
 * @param clusterCheckin how often this node checks in with the Quartz cluster; a node silent for
 *     about twice this long is taken for dead and its chains move to the others
 * @param maxOutputBytes a step output larger than this fails its item ({@code
 *     CONVEYOR_MAX_OUTPUT_BYTES}): outputs stay in Redis until cleanup and are read by every
 *     successor
 * @param reloadCheck how often the files of command steps (program, resources) are checked for
 *     changes, which replace the step's workers ({@code CONVEYOR_RELOAD_CHECK}); zero: never
 */
public record ProcessorConfig(
    ConveyorConfig common,
    Pipelines pipelines,
    int threads,
    Duration clusterCheckin,
    int maxOutputBytes,
    Duration reloadCheck) {
  private static final Duration MIN_RELOAD_CHECK = Duration.ofMillis(100);

  public ProcessorConfig {
    Objects.requireNonNull(reloadCheck, "reloadCheck");
  }

  public static ProcessorConfig from(Env env) {
    ConveyorConfig common = ConveyorConfig.from(env);
    return new ProcessorConfig(
        common,
        PipelineLoader.loadDirectory(common.pipelines()),
        env.integer("CONVEYOR_PROCESSOR_THREADS", 0, 0, 512),
        env.duration("CONVEYOR_CLUSTER_CHECKIN", Duration.ofSeconds(5), Duration.ofSeconds(1)),
        env.integer("CONVEYOR_MAX_OUTPUT_BYTES", 16 << 20, 1024, 256 << 20),
        env.parsed("CONVEYOR_RELOAD_CHECK", "5s", ProcessorConfig::reloadCheck));
  }

  /** {@code 0} (off) or a duration of at least 100 ms. */
  static Duration reloadCheck(String raw) {
    if (raw.strip().equals("0") || raw.strip().matches("0+(\\.0+)?(ms|s|m|h|d)")) {
      return Duration.ZERO;
    }
    Duration d;
    try {
      d = Durations.parse(raw);
    } catch (IllegalArgumentException e) {
      d = Duration.ZERO;
    }
    if (d.compareTo(MIN_RELOAD_CHECK) < 0) {
      throw new IllegalArgumentException("must be 0 (off) or a duration of at least 100ms like 5s");
    }
    return d;
  }

  /** Worker threads to use: as configured, else one per step shard (2..64). */
  public int effectiveThreads() {
    if (threads > 0) {
      return threads;
    }
    int shards =
        pipelines.all().stream().flatMap(p -> p.steps().stream()).mapToInt(s -> s.shards()).sum();
    return Math.clamp(shards, 2, 64);
  }
}
