package dev.conveyor.runtime.records;

import java.time.Instant;

/**
 * An inbox entry that was not accepted: a row of {@code conveyor.rejected_messages}.
 *
 * @param fields every field as received, as a JSON object (values that are not UTF-8 as {@code
 *     {"base64": ...}}, such field names as {@code base64:<name>})
 */
public record RejectedMessage(
    long id, String streamId, String reason, String detail, String fields, Instant receivedAt) {}
