package dev.conveyor.e2e;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The daemon processes a test starts, killed after it when still alive: {@code @RegisterExtension
 * final LaunchedDaemons daemons = new LaunchedDaemons();}, then {@link #start} each one.
 */
final class LaunchedDaemons implements AfterEachCallback {
  private final List<DaemonProcess> started = new ArrayList<>();

  /** Starts {@code daemon}; it is killed after the test if it is still alive then. */
  DaemonProcess start(DaemonProcess daemon) {
    started.add(daemon);
    return daemon.start();
  }

  /** {@code env} with {@code CONVEYOR_NODE_ID}: two processors of one test each need their own. */
  static Map<String, String> node(Map<String, String> env, String nodeId) {
    Map<String, String> e = new HashMap<>(env);
    e.put("CONVEYOR_NODE_ID", nodeId);
    return e;
  }

  @Override
  public void afterEach(ExtensionContext context) throws InterruptedException {
    for (DaemonProcess d : started) {
      d.killIfAlive();
    }
    started.clear();
  }
}
