package dev.conveyor.dispatcher;

import dev.conveyor.common.config.ConveyorConfig;
import dev.conveyor.common.config.Env;
import dev.conveyor.runtime.pipeline.PipelineLoader;
import dev.conveyor.runtime.pipeline.Pipelines;
import java.time.Duration;

/**
 * The dispatcher's configuration: the shared one, the loaded pipelines, and its intake settings.
 *
 * @param batch inbox entries per read ({@code CONVEYOR_DISPATCH_BATCH})
 * @param claimIdle an entry pending this long on another consumer is taken over: that consumer died
 *     ({@code CONVEYOR_INBOX_CLAIM_IDLE})
 * @param maxDeliveries an entry delivered more often than this without being handled is stored as
 *     rejected with reason {@code poison} ({@code CONVEYOR_INBOX_MAX_DELIVERIES})
 * @param maxEntryBytes an inbox entry whose field names and values take more bytes in all is
 *     rejected ({@code CONVEYOR_MAX_ENTRY_BYTES}; default the payload limit plus 64 KiB for the
 *     other fields)
 * @param maxEntryFields an inbox entry with more fields is rejected ({@code
 *     CONVEYOR_MAX_ENTRY_FIELDS})
 */
public record DispatcherConfig(
    ConveyorConfig common,
    Pipelines pipelines,
    int batch,
    Duration claimIdle,
    int maxDeliveries,
    int maxEntryBytes,
    int maxEntryFields) {
  /** Room for the fields besides the payload in the default entry limit. */
  static final int ENTRY_OVERHEAD_BYTES = 64 << 10;

  /**
   * Fields of an entry: Conveyor reads three; the rest leaves room for a producer's own (tracing,
   * headers), which are kept only in rejected rows.
   */
  static final int DEFAULT_MAX_ENTRY_FIELDS = 64;

  /** Reads the environment and loads the pipelines; a bad file refuses the start. */
  public static DispatcherConfig from(Env env) {
    ConveyorConfig common = ConveyorConfig.from(env);
    return new DispatcherConfig(
        common,
        PipelineLoader.loadDirectory(common.pipelines()),
        env.integer("CONVEYOR_DISPATCH_BATCH", 100, 1, 10_000),
        env.duration("CONVEYOR_INBOX_CLAIM_IDLE", Duration.ofSeconds(60), Duration.ofSeconds(1)),
        env.integer("CONVEYOR_INBOX_MAX_DELIVERIES", 5, 1, 1000),
        env.integer(
            "CONVEYOR_MAX_ENTRY_BYTES",
            (int)
                Math.min(Integer.MAX_VALUE, (long) common.maxMessageBytes() + ENTRY_OVERHEAD_BYTES),
            1,
            Integer.MAX_VALUE),
        env.integer("CONVEYOR_MAX_ENTRY_FIELDS", DEFAULT_MAX_ENTRY_FIELDS, 3, 100_000));
  }
}
