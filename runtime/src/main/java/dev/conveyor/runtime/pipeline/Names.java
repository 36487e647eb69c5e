package dev.conveyor.runtime.pipeline;

import java.util.regex.Pattern;

/** The shapes of names in pipeline files. */
final class Names {
  /** Pipelines, steps and resources: they end up in Redis keys, metrics and log lines. */
  static final String NAME_RULE = "[a-z][a-z0-9_-]{0,62}";

  /** PostgreSQL identifiers that never need quoting. */
  static final String SQL_RULE = "[a-z_][a-z0-9_]{0,62}";

  private static final Pattern NAME = Pattern.compile(NAME_RULE);
  private static final Pattern SQL = Pattern.compile(SQL_RULE);
  private static final Pattern JAVA_CLASS =
      Pattern.compile(
          "\\p{javaJavaIdentifierStart}\\p{javaJavaIdentifierPart}*"
              + "(\\.\\p{javaJavaIdentifierStart}\\p{javaJavaIdentifierPart}*)*");

  private Names() {}

  static boolean isName(String s) {
    return NAME.matcher(s).matches();
  }

  static boolean isSqlIdentifier(String s) {
    return SQL.matcher(s).matches();
  }

  static boolean isJavaClassName(String s) {
    return JAVA_CLASS.matcher(s).matches();
  }

  static String requireName(String what, String s) {
    if (s == null || !isName(s)) {
      throw new IllegalArgumentException(
          "bad " + what + " name '" + s + "' (use " + NAME_RULE + ")");
    }
    return s;
  }
}
