package io.rma.coordinator.testing;

import java.util.HashMap;
import java.util.Map;

/**
 * The three ways the coordinator can serve inference, as settings, for tests that run on each:
 * {@code loops} (event loops on the port, the default), {@code threads} (the fast path on Helidon's
 * connections) and {@code helidon} (Helidon's routing only).
 */
public final class ServerPaths {
  private ServerPaths() {}

  /** {@code settings} with those that select {@code path}. */
  public static Map<String, String> with(String path, Map<String, String> settings) {
    Map<String, String> all = new HashMap<>(settings);
    switch (path) {
      case "loops" -> all.put("RMA_EVENT_LOOPS", "auto");
      case "threads" -> all.put("RMA_EVENT_LOOPS", "0");
      case "helidon" -> all.put("RMA_INFERENCE_FAST_PATH", "false");
      default -> throw new IllegalArgumentException("no server path " + path);
    }
    return all;
  }
}
