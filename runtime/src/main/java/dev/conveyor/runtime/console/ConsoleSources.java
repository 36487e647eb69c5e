package dev.conveyor.runtime.console;

import dev.conveyor.common.redis.Keys;
import dev.conveyor.runtime.pipeline.Pipelines;
import java.util.Optional;
import javax.sql.DataSource;
import redis.clients.jedis.UnifiedJedis;

/**
 * What the console reads, as the daemon serving it has it: asked for on each request, so that a
 * daemon can serve {@code /ui} before its Redis and PostgreSQL are up (the page then says so).
 *
 * @param inbox the inbox's Redis, when this daemon has a client of it
 */
public record ConsoleSources(
    Pipelines pipelines,
    Keys keys,
    UnifiedJedis redis,
    Optional<UnifiedJedis> inbox,
    DataSource pg) {}
