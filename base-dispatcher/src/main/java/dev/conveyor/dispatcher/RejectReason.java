package dev.conveyor.dispatcher;

import java.util.Locale;

/** Why an inbox entry was not accepted; stored as {@code rejected_messages.reason}. */
public enum RejectReason {
  NO_FIELDS,
  /** More fields than {@code CONVEYOR_MAX_ENTRY_FIELDS}. */
  TOO_MANY_FIELDS,
  /** Names and values together larger than {@code CONVEYOR_MAX_ENTRY_BYTES}. */
  ENTRY_TOO_LARGE,
  MISSING_PIPELINE,
  UNKNOWN_PIPELINE,
  MISSING_PAYLOAD,
  PAYLOAD_TOO_LARGE,
  PAYLOAD_NOT_JSON,
  PAYLOAD_NOT_OBJECT,
  PAYLOAD_TOO_DEEP,
  /** A string or key of the payload holds U+0000, which PostgreSQL cannot store. */
  PAYLOAD_HAS_NUL,
  /** A string or key of the payload holds half a surrogate pair, which is no character. */
  PAYLOAD_HAS_LONE_SURROGATE,
  /** A number of the payload is beyond PostgreSQL numeric's range. */
  PAYLOAD_NUMBER_OUT_OF_RANGE,
  BAD_ID,
  UNSPLITTABLE,
  /** Delivered too many times without being handled: stored so it cannot block the intake. */
  POISON;

  /** The reason as stored and logged: lower case, e.g. {@code payload_not_json}. */
  public String code() {
    return name().toLowerCase(Locale.ROOT);
  }
}
