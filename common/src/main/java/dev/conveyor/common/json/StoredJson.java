package dev.conveyor.common.json;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

/**
 * JSON text as a {@code jsonb} column can always hold it. JSON that PostgreSQL can store and that
 * is not too large is kept (as Jackson writes it); anything else — not JSON, U+0000, a lone
 * surrogate, a number beyond numeric's range, too large — is kept as a wrapper object that says
 * why, with the original's size, its SHA-256 and an escaped copy of its beginning:
 *
 * <pre>
 * {"unstorable": "U+0000 at $.text", "bytes": 17, "sha256": "...", "head": "{\"text\":\"a\\u0000b\"}"}
 * </pre>
 */
public final class StoredJson {
  /** Characters of the original kept in a wrapper's {@code head}. */
  public static final int HEAD_CHARS = 4096;

  private static final JsonMapper JSON = ExactJson.mapper();
  private static final int MAX_WHY_CHARS = 500;

  private StoredJson() {}

  /**
   * {@code json} if PostgreSQL can store it and it is at most {@code maxBytes} of UTF-8, else the
   * wrapper; null stays null.
   */
  public static String of(String json, int maxBytes) {
    if (json == null) {
      return null;
    }
    long bytes = SafeText.utf8Length(json);
    if (bytes > maxBytes) {
      return wrapper(json, bytes + " bytes, more than the " + maxBytes + " stored");
    }
    JsonNode tree;
    try {
      tree = ExactJson.read(json);
    } catch (JsonProcessingException e) {
      return wrapper(json, "not JSON: " + firstLine(e.getOriginalMessage()));
    }
    if (tree == null || tree.isMissingNode()) {
      return wrapper(json, "not JSON: empty");
    }
    Optional<UnstorableContent> problem = UnstorableContent.find(tree);
    if (problem.isPresent()) {
      return wrapper(json, problem.get().describe());
    }
    try {
      return JSON.writeValueAsString(tree);
    } catch (JsonProcessingException e) {
      return wrapper(json, "cannot be written as JSON: " + firstLine(e.getOriginalMessage()));
    }
  }

  /** The wrapper for {@code text}, which is not stored because of {@code why}. */
  public static String wrapper(String text, String why) {
    ObjectNode w = JSON.createObjectNode();
    w.put("unstorable", SafeText.capped(why, MAX_WHY_CHARS));
    w.put("bytes", SafeText.utf8Length(text));
    w.put("sha256", sha256(text.getBytes(StandardCharsets.UTF_8)));
    w.put("head", SafeText.escaped(SafeText.cut(text, HEAD_CHARS)));
    return w.toString();
  }

  /** Lower-case hex SHA-256 of the bytes. */
  public static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "no detail";
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }
}
