package dev.conveyor.common.config;

/** How daemons write their log lines ({@code CONVEYOR_LOG_FORMAT}). */
public enum LogFormat {
  /** {@code event=... key=value}, one line per event. */
  TEXT,
  /** One JSON object per line, for log shippers. */
  JSON
}
