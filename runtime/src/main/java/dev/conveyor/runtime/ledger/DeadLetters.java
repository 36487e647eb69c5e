package dev.conveyor.runtime.ledger;

import dev.conveyor.common.json.SafeText;
import dev.conveyor.runtime.records.DeadItem;
import dev.conveyor.runtime.records.DeadItemRepository;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes an item dead: a row in {@code conveyor.dead_items} (its input kept for inspection and
 * replay), then the task's progress in Redis, where its part now counts as failed. Used by the
 * processor (retries exhausted) and by patrol (stuck past its re-drives).
 */
public final class DeadLetters {
  private static final Logger log = LoggerFactory.getLogger(DeadLetters.class);
  private static final int LOGGED_CHARS = 1000;

  private final StepLedger ledger;
  private final DeadItemRepository repository;
  private final Clock clock;

  public DeadLetters(StepLedger ledger, DeadItemRepository repository, Clock clock) {
    this.ledger = ledger;
    this.repository = repository;
    this.clock = clock;
  }

  /**
   * @param input the item's input (JSON), or null when it is not known
   * @return what became ready and whether the task is complete
   */
  public Progress kill(
      StepProgress progress, String pipeline, QueueItem item, String input, String whatFailed) {
    // why: an error may quote anything the item held, at any length; Redis and the log get it
    // escaped and cut as the row does
    String error = SafeText.capped(whatFailed, DeadItemRepository.MAX_ERROR_CHARS);
    repository.insert(
        new DeadItem(
            item.taskId(),
            pipeline,
            item.part(),
            progress.step(),
            item.attempts(),
            error,
            input,
            clock.instant()));
    Progress p = ledger.recordDead(progress, item, error);
    log.atWarn()
        .addKeyValue("event", "item_dead")
        .addKeyValue("pipeline", pipeline)
        .addKeyValue("step", progress.step())
        .addKeyValue("task", item.taskId())
        .addKeyValue("part", item.part())
        .addKeyValue("attempts", item.attempts())
        .addKeyValue("error", SafeText.capped(error, LOGGED_CHARS))
        .log();
    return p;
  }
}
