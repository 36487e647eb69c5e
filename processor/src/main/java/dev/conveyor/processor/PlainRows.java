package dev.conveyor.processor;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;

/**
 * Whether a sink's rows may go to PostgreSQL as {@code json} text instead of {@code jsonb} ({@link
 * SinkTable#plainInsertSql}) and be stored exactly the same. Both forms hand each value's text to
 * its column type's input; they differ only in that text. {@code jsonb} writes a number as
 * PostgreSQL's numeric prints it ({@code 1e2} as {@code 100}) and an object or array in its own
 * layout, while {@code json} keeps them as written. A string, a boolean, null and an integer read
 * the same either way, so rows holding only those are plain.
 */
final class PlainRows {
  private PlainRows() {}

  /** Whether every value of every row is a string, a boolean, null or an integer. */
  static boolean plain(Iterable<JsonNode> rows) {
    for (JsonNode row : rows) {
      for (Iterator<JsonNode> values = row.elements(); values.hasNext(); ) {
        JsonNode v = values.next();
        if (!(v.isTextual() || v.isBoolean() || v.isNull() || v.isIntegralNumber())) {
          return false;
        }
      }
    }
    return true;
  }
}
