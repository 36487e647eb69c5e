package dev.conveyor.dispatcher;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.common.json.SafeText;
import dev.conveyor.common.redis.StreamMessage;
import dev.conveyor.runtime.ledger.RegisterOutcome;
import dev.conveyor.runtime.ledger.Registration;
import dev.conveyor.runtime.split.Splitter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Handles one batch of inbox entries: each is validated, split, registered, checked against tasks
 * that finished before (their audit rows) and fanned out — or stored as rejected. When {@link
 * #handle} returns, every entry of the batch is durably recorded and may be acknowledged; when it
 * throws (Redis or PostgreSQL failed), none may be.
 *
 * <p>A batch asks {@code task_audit} once, after the registration ({@link TaskFanOut}): a task that
 * finished and was cleaned up registers anew and is taken back there as a duplicate. Only an entry
 * that cannot be split is looked up before it is rejected: a finished task's id sent again with a
 * payload its pipeline cannot split is a duplicate.
 */
final class BatchHandler {
  private static final Logger log = LoggerFactory.getLogger(BatchHandler.class);
  // why: a detail may quote what the producer sent (a pipeline name of a megabyte)
  private static final int LOGGED_CHARS = 1000;

  private final MessageValidator validator;
  private final Rejections rejections;
  private final TaskFanOut fanOut;
  private final FinishedTasks audit;
  private final IntakeMetrics metrics;
  private final int maxDeliveries;

  /** How a batch went. */
  record Summary(int accepted, int duplicates, int rejected) {}

  BatchHandler(
      MessageValidator validator,
      Rejections rejections,
      TaskFanOut fanOut,
      FinishedTasks audit,
      IntakeMetrics metrics,
      int maxDeliveries) {
    this.validator = validator;
    this.rejections = rejections;
    this.fanOut = fanOut;
    this.audit = audit;
    this.metrics = metrics;
    this.maxDeliveries = maxDeliveries;
  }

  /**
   * @param deliveries how often each entry was delivered, for entries read again from the pending
   *     list (empty for new entries)
   */
  Summary handle(List<StreamMessage> entries, Map<String, Long> deliveries) {
    List<Verdict> verdicts = new ArrayList<>(entries.size());
    for (StreamMessage entry : entries) {
      long times = deliveries.getOrDefault(entry.id(), 1L);
      Verdict v =
          times > maxDeliveries
              ? new Verdict.Rejected(
                  RejectReason.POISON,
                  "delivered "
                      + times
                      + " times without being handled (limit "
                      + maxDeliveries
                      + ")")
              : validator.check(entry);
      verdicts.add(v);
    }
    List<Registration> registrations = new ArrayList<>();
    Map<Integer, InboundMessage> unsplittable = new HashMap<>();
    for (int i = 0; i < entries.size(); i++) {
      if (!(verdicts.get(i) instanceof Verdict.Accepted a)) {
        continue;
      }
      InboundMessage m = a.message();
      Optional<List<ObjectNode>> parts = Splitter.split(m.pipeline().split(), m.payload());
      if (parts.isEmpty()) {
        unsplittable.put(i, m);
        continue;
      }
      registrations.add(
          new Registration(
              m.taskId(),
              m.pipeline(),
              m.streamId(),
              m.receivedAt(),
              parts.get().stream().map(ObjectNode::toString).toList()));
    }
    int duplicates = rejectUnsplittable(verdicts, unsplittable);
    List<RegisterOutcome> outcomes = fanOut.dispatch(registrations);
    int accepted = 0;
    for (int i = 0; i < registrations.size(); i++) {
      Registration r = registrations.get(i);
      switch (outcomes.get(i)) {
        case NEW, RESUME -> {
          accepted++;
          metrics.dispatched(r.pipeline().name(), r.partInputs().size());
        }
        case DUPLICATE -> {
          duplicates++;
          metrics.duplicate();
        }
        case DONE -> {
          // a re-pass over an entry fully handled before a crash: only the ack was missing
        }
      }
    }
    int rejected = 0;
    for (int i = 0; i < entries.size(); i++) {
      if (verdicts.get(i) instanceof Verdict.Rejected r) {
        StreamMessage entry = entries.get(i);
        rejections.store(entry, r);
        rejected++;
        metrics.rejected(r.reason());
        log.atWarn()
            .addKeyValue("event", "rejected")
            .addKeyValue("stream_id", entry.id())
            .addKeyValue("reason", r.reason().code())
            .addKeyValue("detail", SafeText.capped(r.detail(), LOGGED_CHARS))
            .log();
      }
    }
    metrics.received(entries.size());
    return new Summary(accepted, duplicates, rejected);
  }

  /**
   * Stores as rejected the accepted entries whose payload their pipeline cannot split, except those
   * whose task id finished before (its audit row): those are duplicates. Returns how many were.
   */
  private int rejectUnsplittable(List<Verdict> verdicts, Map<Integer, InboundMessage> entries) {
    if (entries.isEmpty()) {
      return 0;
    }
    // why: after a task finished and was cleaned up, its audit row is the memory of its id
    Set<String> finished =
        audit.among(entries.values().stream().map(InboundMessage::taskId).toList());
    int duplicates = 0;
    for (Map.Entry<Integer, InboundMessage> e : entries.entrySet()) {
      InboundMessage m = e.getValue();
      if (finished.contains(m.taskId())) {
        duplicates++;
        metrics.duplicate();
        verdicts.set(e.getKey(), null);
      } else {
        verdicts.set(
            e.getKey(),
            new Verdict.Rejected(
                RejectReason.UNSPLITTABLE,
                "pipeline "
                    + m.pipeline().name()
                    + " splits text: the payload needs a string field '"
                    + m.pipeline().split().field()
                    + "'"));
      }
    }
    return duplicates;
  }
}
