package dev.conveyor.dispatcher;

import java.util.Locale;

/** Why an inbox entry was not accepted; stored as {@code rejected_messages.reason}. */
public enum RejectReason {
  NO_FIELDS,
  MISSING_PIPELINE,
  UNKNOWN_PIPELINE,
  MISSING_PAYLOAD,
  PAYLOAD_TOO_LARGE,
  PAYLOAD_NOT_JSON,
  PAYLOAD_NOT_OBJECT,
  PAYLOAD_TOO_DEEP,
  BAD_ID,
  UNSPLITTABLE,
  /** Delivered too many times without being handled: stored so it cannot block the intake. */
  POISON;

  /** The reason as stored and logged: lower case, e.g. {@code payload_not_json}. */
  public String code() {
    return name().toLowerCase(Locale.ROOT);
  }
}
