package dev.conveyor.processor;

import dev.conveyor.common.config.ConfigException;
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
 * @param clusterCheckin how often this node checks in with the Quartz cluster
 * @param clusterFailedAfter how long a node may be silent (no check-in) before the others take it
 *     for dead and run its chains ({@code CONVEYOR_CLUSTER_FAILED_AFTER}; by default three
 *     check-ins, at least two)
 * @param maxOutputBytes a step output larger than this fails its item ({@code
 *     CONVEYOR_MAX_OUTPUT_BYTES}): outputs stay in Redis until cleanup and are read by every
 *     successor
 * @param reloadCheck how often the files of command steps (program, resources) are checked for
 *     changes, which replace the step's workers ({@code CONVEYOR_RELOAD_CHECK}); zero: never
 * @param colocatedSteps whether items that become ready for a java or sink step running here are
 *     run at once in the same tick ({@link ColocatedSteps}; {@code CONVEYOR_COLOCATED_STEPS})
 */
public record ProcessorConfig(
    ConveyorConfig common,
    Pipelines pipelines,
    int threads,
    Duration clusterCheckin,
    Duration clusterFailedAfter,
    int maxOutputBytes,
    Duration reloadCheck,
    boolean colocatedSteps) {
  private static final Duration MIN_RELOAD_CHECK = Duration.ofMillis(100);

  /**
   * why: a node killed for good has its chains run elsewhere within about {@code 2 × checkin +
   * grace} (its last check-in may be one interval before the kill, the noticing node's next one up
   * to one interval after the deadline), so 1 s and 3 s keep a takeover under 5 s. Quartz's own 5 s
   * + 7.5 s took 12 to 14 s ({@code ProcessorFailoverBench}).
   */
  static final Duration DEFAULT_CLUSTER_CHECKIN = Duration.ofSeconds(1);

  /** A failure detection waits at least this many check-ins: one late check-in fails no node. */
  static final int MIN_CHECKINS_BEFORE_FAILED = 2;

  static final int DEFAULT_CHECKINS_BEFORE_FAILED = 3;

  public ProcessorConfig {
    Objects.requireNonNull(reloadCheck, "reloadCheck");
    if (clusterFailedAfter.compareTo(clusterCheckin.multipliedBy(MIN_CHECKINS_BEFORE_FAILED)) < 0) {
      throw new ConfigException(
          "CONVEYOR_CLUSTER_FAILED_AFTER must be at least twice CONVEYOR_CLUSTER_CHECKIN ("
              + clusterCheckin
              + "), was "
              + clusterFailedAfter);
    }
  }

  public static ProcessorConfig from(Env env) {
    ConveyorConfig common = ConveyorConfig.from(env);
    Duration checkin =
        env.duration("CONVEYOR_CLUSTER_CHECKIN", DEFAULT_CLUSTER_CHECKIN, Duration.ofSeconds(1));
    return new ProcessorConfig(
        common,
        PipelineLoader.loadDirectory(common.pipelines()),
        env.integer("CONVEYOR_PROCESSOR_THREADS", 0, 0, 512),
        checkin,
        env.duration(
            "CONVEYOR_CLUSTER_FAILED_AFTER",
            checkin.multipliedBy(DEFAULT_CHECKINS_BEFORE_FAILED),
            Duration.ZERO),
        env.integer("CONVEYOR_MAX_OUTPUT_BYTES", 16 << 20, 1024, 256 << 20),
        env.parsed("CONVEYOR_RELOAD_CHECK", "5s", ProcessorConfig::reloadCheck),
        env.bool("CONVEYOR_COLOCATED_STEPS", true));
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

  /**
   * How much longer than one check-in interval a node may be silent before it is taken for dead
   * ({@link dev.conveyor.runtime.quartz.ClusteredJobStore}).
   */
  public Duration clusterFailureGrace() {
    return clusterFailedAfter.minus(clusterCheckin);
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
