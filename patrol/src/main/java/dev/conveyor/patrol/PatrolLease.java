package dev.conveyor.patrol;

import dev.conveyor.common.db.LeaseLostException;
import dev.conveyor.patrol.PatrolLeaseRepository.Attempt;
import dev.conveyor.patrol.PatrolLeaseRepository.Result;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The patrol lease, held in PostgreSQL ({@code conveyor.patrol_lease}) so that, of several patrol
 * replicas, one runs the rounds: taken with a fencing token that grows at each new holder (never
 * reset), renewed every round and, between rounds and during a long one, every third of its TTL by
 * {@link #renew} on a thread of its own; lost when its holder stops renewing (it died, or hangs)
 * and another takes it over; given back on a clean stop.
 *
 * <p>Whether this patrol may write is decided in PostgreSQL, per unit of work, by {@link #fence}:
 * the local view ({@link #held}) only stops a round early. It counts from the moment a renewal was
 * sent, so it never outlasts the lease as PostgreSQL sees it.
 */
final class PatrolLease {
  private static final Logger log = LoggerFactory.getLogger(PatrolLease.class);

  private final PatrolLeaseRepository repository;
  private final DataSource dataSource;
  private final String node;
  private final String instance = UUID.randomUUID().toString();
  private final Duration ttl;
  private long token = -1;
  private long confirmedAt;

  PatrolLease(PatrolLeaseRepository repository, DataSource dataSource, String node, Duration ttl) {
    this.repository = repository;
    this.dataSource = dataSource;
    this.node = node;
    this.ttl = ttl;
  }

  Duration ttl() {
    return ttl;
  }

  /** Takes or keeps the lease; the fencing token while this patrol holds it, else empty. */
  synchronized OptionalLong hold() {
    long sent = System.nanoTime();
    Result r = repository.take(node, instance, ttl);
    if (r.attempt() == Attempt.HELD) {
      confirm(r.token(), sent);
    } else if (r.attempt() == Attempt.OTHER && token >= 0) {
      lose("another patrol took it over");
    }
    return held() ? OptionalLong.of(token) : OptionalLong.empty();
  }

  /** Renews the lease if this patrol holds it (never takes it); the lease keeper's job. */
  synchronized void renew() {
    if (token < 0) {
      return;
    }
    long sent = System.nanoTime();
    Result r = repository.renew(instance, token, ttl);
    switch (r.attempt()) {
      case HELD -> confirm(r.token(), sent);
      case OTHER -> lose("another patrol took it over");
      case BUSY -> {
        // why: a unit of work of this patrol holds the row; the next renewal tries again, and
        // held() turns false by itself if none succeeds within the TTL
      }
    }
  }

  /**
   * Whether this patrol holds the lease, as far as it knows (PostgreSQL decides, in {@link
   * #fence}).
   */
  synchronized boolean held() {
    return token >= 0 && System.nanoTime() - confirmedAt < ttl.toNanos();
  }

  /**
   * The fence of the current holding: every unit of work checks it in PostgreSQL.
   *
   * @throws LeaseLostException when this patrol does not hold the lease
   */
  synchronized LeaseFence fence() {
    if (!held()) {
      throw new LeaseLostException("patrol " + node + " does not hold the patrol lease");
    }
    long fenced = token;
    return new LeaseFence(
        dataSource,
        repository,
        instance,
        fenced,
        idleLimit(),
        () -> lostTo(fenced, "a unit of work found the lease gone"));
  }

  /** Who holds the lease, for a patrol that does not ({@code POST /replay} answers 409). */
  Optional<PatrolLeaseRepository.Holder> holder() {
    return repository.holder();
  }

  /** Gives the lease back if held, so another patrol takes over without waiting for the TTL. */
  synchronized void release() {
    repository.release(instance);
    token = -1;
  }

  /**
   * How long a unit of work may sit idle in its transaction before PostgreSQL ends it (and frees
   * the lease row for a takeover): twice the TTL, at least 10 s.
   */
  private Duration idleLimit() {
    Duration twice = ttl.multipliedBy(2);
    return twice.compareTo(Duration.ofSeconds(10)) < 0 ? Duration.ofSeconds(10) : twice;
  }

  private void confirm(long newToken, long sentAt) {
    if (newToken != token) {
      log.atInfo()
          .addKeyValue("event", "lease_taken")
          .addKeyValue("holder", node)
          .addKeyValue("token", newToken)
          .addKeyValue("ttl", ttl)
          .log();
    }
    token = newToken;
    confirmedAt = sentAt;
  }

  private synchronized void lostTo(long fenced, String why) {
    if (token == fenced) {
      lose(why);
    }
  }

  private void lose(String why) {
    log.atWarn()
        .addKeyValue("event", "lease_lost")
        .addKeyValue("holder", node)
        .addKeyValue("token", token)
        .addKeyValue("reason", why)
        .log();
    token = -1;
  }
}
