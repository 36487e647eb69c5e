package dev.conveyor.common.config;

/** The level of Conveyor's own loggers ({@code CONVEYOR_LOG_LEVEL}); logback.xml reads it. */
public enum LogLevel {
  ERROR,
  WARN,
  INFO,
  DEBUG,
  TRACE
}
