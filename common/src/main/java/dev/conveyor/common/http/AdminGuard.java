package dev.conveyor.common.http;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.security.MessageDigest;
import java.util.Optional;

/** Checks {@code Authorization: Bearer <token>} on routes that require the admin token. */
final class AdminGuard {
  private static final String BEARER = "Bearer ";

  private final byte[] token;

  private AdminGuard(byte[] token) {
    this.token = token;
  }

  /** A guard for {@code token}; with no token every request is let through. */
  static AdminGuard of(Optional<String> token) {
    token.ifPresent(t -> {
      if (t.isBlank()) {
        throw new IllegalArgumentException("admin token must not be blank");
      }
    });
    return new AdminGuard(token.map(t -> t.getBytes(UTF_8)).orElse(null));
  }

  boolean permits(String authorization) {
    if (token == null) {
      return true;
    }
    if (authorization == null
        || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      return false;
    }
    byte[] presented = authorization.substring(BEARER.length()).strip().getBytes(UTF_8);
    // why: constant time in the content; the expected token goes first because the time depends
    // only on the length of the first argument.
    return MessageDigest.isEqual(token, presented);
  }
}
