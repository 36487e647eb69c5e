package dev.conveyor.runtime.work.command;

import dev.conveyor.runtime.work.ItemResult;

/**
 * What one reply of a worker process means for the item it answers and for the process: the
 * request-response half of the protocol, apart from the process plumbing ({@link WorkerProcess})
 * and from the supervision ({@link CommandWorker}: timeouts, restarts).
 */
sealed interface Verdict {
  /** A line in step whose {@code seq} cannot be read: it answers the item whose turn it is. */
  long IN_TURN = -2;

  /**
   * The process answered in step with the requests: the item's result; the process goes on.
   *
   * @param seq the answer's {@code seq}: {@link Protocol#NO_SEQ} if it has none, {@link #IN_TURN}
   *     if its line could not be read
   */
  record Answered(ItemResult result, long seq) implements Verdict {
    Answered(ItemResult result) {
      this(result, Protocol.NO_SEQ);
    }
  }

  /** The program's hello: whether it takes batches. */
  record Greeted(boolean batches) implements Verdict {}

  /**
   * The stream may be out of step with the requests: the process must be killed.
   *
   * @param reason why, for the log
   * @param error the item's failure
   */
  record Broken(String reason, String error) implements Verdict {}

  /** stdout ended: the process has exited or is exiting. */
  record Ended() implements Verdict {}

  /**
   * @param worker the worker's number, for error messages
   */
  static Verdict of(Reply reply, int worker) {
    return switch (reply) {
      // why: the line is in step with the requests; only its bytes are wrong, so the item fails
      // rather than be delivered with replacement characters, and the worker goes on
      case Reply.Line line when !line.utf8() ->
          new Answered(
              new ItemResult.Failed("worker " + worker + " answered a line that is not UTF-8"),
              IN_TURN);
      case Reply.Line line -> of(Protocol.answer(line.text()), worker);
      case Reply.Overflow overflow -> {
        int mib = WorkerProcess.MAX_LINE_BYTES >> 20;
        yield new Broken(
            "answer longer than " + mib + " MiB",
            "worker "
                + worker
                + " answered a line longer than "
                + mib
                + " MiB which is not a protocol line");
      }
      case Reply.End end -> new Ended();
    };
  }

  private static Verdict of(Protocol.Answer answer, int worker) {
    return switch (answer) {
      case Protocol.Answer.Ok ok -> new Answered(new ItemResult.Output(ok.data()), ok.seq());
      case Protocol.Answer.Error error ->
          new Answered(new ItemResult.Failed(error.message()), error.seq());
      case Protocol.Answer.Hello hello -> new Greeted(hello.batches());
      case Protocol.Answer.Invalid invalid ->
          new Broken("protocol error", "worker " + worker + " " + invalid.problem());
    };
  }
}
