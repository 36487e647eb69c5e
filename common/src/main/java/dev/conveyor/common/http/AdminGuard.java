package dev.conveyor.common.http;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.net.InetAddress;
import java.security.MessageDigest;
import java.util.Optional;

/**
 * Who may call routes that require admin (the control routes: suspend, resume, replay). With a
 * token configured: whoever sends {@code Authorization: Bearer <token>}. Without one: clients on
 * the loopback interface only, so that a daemon whose HTTP is reachable from a network cannot be
 * controlled from it by anyone.
 */
final class AdminGuard {
  private static final String BEARER = "Bearer ";

  private final byte[] token;

  /** What the guard decided. */
  enum Decision {
    ALLOWED,
    /** 401: the token is missing or wrong. */
    TOKEN_REQUIRED,
    /** 403: no token is configured and the client is not on loopback. */
    LOOPBACK_ONLY
  }

  private AdminGuard(byte[] token) {
    this.token = token;
  }

  /** A guard for {@code token}; with no token only loopback clients are let through. */
  static AdminGuard of(Optional<String> token) {
    token.ifPresent(t -> {
      if (t.isBlank()) {
        throw new IllegalArgumentException("admin token must not be blank");
      }
    });
    return new AdminGuard(token.map(t -> t.getBytes(UTF_8)).orElse(null));
  }

  /**
   * @param authorization the request's Authorization header, or null
   * @param client the client's address, or null when unknown
   */
  Decision decide(String authorization, InetAddress client) {
    if (token == null) {
      return client != null && client.isLoopbackAddress()
          ? Decision.ALLOWED
          : Decision.LOOPBACK_ONLY;
    }
    if (authorization == null
        || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      return Decision.TOKEN_REQUIRED;
    }
    byte[] presented = authorization.substring(BEARER.length()).strip().getBytes(UTF_8);
    // why: constant time in the content; the expected token goes first because the time depends
    // only on the length of the first argument.
    return MessageDigest.isEqual(token, presented) ? Decision.ALLOWED : Decision.TOKEN_REQUIRED;
  }
}
