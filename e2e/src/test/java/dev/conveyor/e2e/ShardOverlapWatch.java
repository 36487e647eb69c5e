package dev.conveyor.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Samples Quartz's {@code qrtz_fired_triggers} every 20 ms until {@link #close()} and records every
 * moment at which one chain (one step shard) was executing on two replicas at once.
 */
final class ShardOverlapWatch implements AutoCloseable {
  private final List<String> overlaps = new CopyOnWriteArrayList<>();
  private final Thread thread;
  private volatile boolean closing;

  ShardOverlapWatch(PostgresServer pg) {
    thread =
        Thread.ofPlatform()
            .daemon()
            .name("shard-watch")
            .start(() -> {
              try (Connection c = pg.connect();
                  PreparedStatement s =
                      c.prepareStatement(
                          "SELECT job_group, job_name, string_agg(instance_name, ',')"
                              + " FROM conveyor.qrtz_fired_triggers WHERE state = 'EXECUTING'"
                              + " GROUP BY job_group, job_name HAVING count(*) > 1")) {
                while (!closing) {
                  try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                      overlaps.add(
                          rs.getString(1) + "." + rs.getString(2) + " on " + rs.getString(3));
                    }
                  } catch (SQLException e) {
                    // why: PostgreSQL may be away for a moment (a fault); sample again
                  }
                  Thread.sleep(20);
                }
              } catch (SQLException | InterruptedException e) {
                // closing
              }
            });
  }

  void assertNoShardRanOnTwoReplicasAtOnce() {
    assertThat(overlaps).as("step shards executing on two replicas at once").isEmpty();
  }

  @Override
  public void close() {
    closing = true;
    thread.interrupt();
  }
}
