package dev.conveyor.common.config;

import java.util.regex.Pattern;

/** Hides passwords inside connection URLs, for logs and {@code toString()}. */
public final class Masks {
  private static final Pattern USER_INFO_PASSWORD = Pattern.compile("(://[^/:@]*:)[^/@]*@");
  private static final Pattern PASSWORD_PARAM = Pattern.compile("(?i)([?&]password=)[^&]*");

  private Masks() {}

  /**
   * {@code redis://u:pw@h} → {@code redis://u:****@h}; {@code ?password=pw} → {@code
   * ?password=****}.
   */
  public static String url(String url) {
    String masked = USER_INFO_PASSWORD.matcher(url).replaceAll("$1****@");
    return PASSWORD_PARAM.matcher(masked).replaceAll("$1****");
  }
}
