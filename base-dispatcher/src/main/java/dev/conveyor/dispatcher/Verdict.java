package dev.conveyor.dispatcher;

/** What validation decided about one inbox entry. */
public sealed interface Verdict {
  /** Accepted: register and fan out. */
  record Accepted(InboundMessage message) implements Verdict {}

  /** Rejected: store whole with the reason, then acknowledge. */
  record Rejected(RejectReason reason, String detail) implements Verdict {}
}
