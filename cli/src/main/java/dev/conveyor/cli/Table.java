package dev.conveyor.cli;

import java.util.ArrayList;
import java.util.List;

/** Rows of text cells printed as aligned columns (two spaces apart, no trailing blanks). */
final class Table {
  private final List<List<String>> rows = new ArrayList<>();

  Table row(Object... cells) {
    List<String> row = new ArrayList<>(cells.length);
    for (Object c : cells) {
      row.add(c == null ? "-" : c.toString());
    }
    rows.add(row);
    return this;
  }

  boolean isEmpty() {
    return rows.size() <= 1;
  }

  /** The lines, each prefixed with {@code indent}. */
  List<String> lines(String indent) {
    int columns = rows.stream().mapToInt(List::size).max().orElse(0);
    int[] width = new int[columns];
    for (List<String> row : rows) {
      for (int i = 0; i < row.size(); i++) {
        width[i] = Math.max(width[i], row.get(i).length());
      }
    }
    List<String> lines = new ArrayList<>(rows.size());
    for (List<String> row : rows) {
      StringBuilder line = new StringBuilder(indent);
      for (int i = 0; i < row.size(); i++) {
        line.append(row.get(i));
        if (i < row.size() - 1) {
          line.append(" ".repeat(width[i] - row.get(i).length() + 2));
        }
      }
      lines.add(line.toString().stripTrailing());
    }
    return lines;
  }
}
