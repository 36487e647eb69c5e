package dev.conveyor.common.logging;

import ch.qos.logback.core.PropertyDefinerBase;
import java.util.Locale;

/**
 * Maps {@code CONVEYOR_LOG_FORMAT} to the name of an appender in {@code logback.xml}: {@code json}
 * (any case, surrounding blanks ignored) selects {@code json}, anything else {@code text}.
 */
public final class LogFormatDefiner extends PropertyDefinerBase {
  private String format = "text";

  /** The configured format, usually {@code ${CONVEYOR_LOG_FORMAT:-text}}. */
  public void setFormat(String format) {
    this.format = format;
  }

  // why: an unknown value must not leave the root logger pointing at a missing appender, which
  // would silence the daemon without a word (logback's own status output is switched off).
  @Override
  public String getPropertyValue() {
    return format != null && format.strip().toLowerCase(Locale.ROOT).equals("json")
        ? "json"
        : "text";
  }
}
