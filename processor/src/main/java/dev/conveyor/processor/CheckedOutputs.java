package dev.conveyor.processor;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.conveyor.common.json.ExactJson;
import dev.conveyor.common.json.SafeText;
import dev.conveyor.common.json.UnstorableContent;
import dev.conveyor.runtime.work.ItemResult;
import dev.conveyor.runtime.work.StepWork;
import dev.conveyor.runtime.work.WorkItem;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A step's work whose every output is checked before it is stored: at most {@code
 * CONVEYOR_MAX_OUTPUT_BYTES}, JSON, and nothing PostgreSQL cannot store (U+0000, a lone surrogate,
 * a number beyond numeric's range; NaN or an infinity written by a step is not JSON). An output
 * that is not fails its item, as any step error does (retried, then dead), instead of failing a
 * successor or a sink on every attempt, or the write of a dead item, later.
 */
final class CheckedOutputs implements StepWork {
  private final StepWork work;
  private final long maxBytes;

  CheckedOutputs(StepWork work, long maxBytes) {
    this.work = work;
    this.maxBytes = maxBytes;
  }

  @Override
  public List<ItemResult> process(List<WorkItem> batch) {
    List<ItemResult> results = work.process(batch);
    List<ItemResult> checked = new ArrayList<>(results.size());
    for (ItemResult r : results) {
      if (r instanceof ItemResult.Output out) {
        checked.add(
            problem(out.value(), out.storable()).<ItemResult>map(ItemResult.Failed::new).orElse(r));
      } else {
        checked.add(r);
      }
    }
    return checked;
  }

  @Override
  public void close() {
    work.close();
  }

  /** Why the output cannot be stored, if it cannot. */
  Optional<String> problem(String output) {
    return problem(output, false);
  }

  /**
   * Why the output cannot be stored, if it cannot; {@code knownStorable}: its content was checked
   * already ({@link ItemResult.Output#storable}), only its size is left.
   */
  Optional<String> problem(String output, boolean knownStorable) {
    if (output == null) {
      return Optional.of("the step gave no output");
    }
    long bytes = SafeText.utf8Length(output);
    if (bytes > maxBytes) {
      return Optional.of(
          "output is "
              + bytes
              + " bytes, the limit is "
              + maxBytes
              + " (CONVEYOR_MAX_OUTPUT_BYTES)");
    }
    if (knownStorable || ExactJson.storable(output)) {
      return Optional.empty();
    }
    // why: the one pass above says only whether; reading the tree says what and where
    JsonNode tree;
    try {
      tree = ExactJson.read(output);
    } catch (JsonProcessingException e) {
      return Optional.of("output is not JSON: " + firstLine(e.getOriginalMessage()));
    }
    if (tree == null || tree.isMissingNode()) {
      return Optional.of("output is empty");
    }
    return UnstorableContent.find(tree)
        .map(u -> "output holds " + u.describe() + ", which PostgreSQL cannot store");
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "no detail";
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }
}
