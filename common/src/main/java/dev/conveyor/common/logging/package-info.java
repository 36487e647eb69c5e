/**
 * Log output for {@code docker compose logs -f}: one event per line, key=value text by default or
 * JSON lines when {@code CONVEYOR_LOG_FORMAT=json}. Wired by {@code logback.xml}.
 */
package dev.conveyor.common.logging;
