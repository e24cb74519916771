package io.rma.coordinator.http;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;

/**
 * Coordinators and stub workers closed after each test, and the switches that run a whole test
 * class with the inference fast path on (here) or off (a subclass overriding {@link #fastPath}), or
 * with the event loops in front (a subclass overriding {@link #eventLoops}).
 */
abstract class RoutingTestBase {
  private final List<AutoCloseable> closing = new ArrayList<>();

  /** "true": inference requests take the fast path; a subclass runs every test without it. */
  String fastPath() {
    return "true";
  }

  /** "auto": the event loops on the port (the default); a subclass runs every test without. */
  String eventLoops() {
    return "auto";
  }

  RoutingHarness harness(Map<String, String> env) {
    Map<String, String> all = new HashMap<>(env);
    all.put("RMA_INFERENCE_FAST_PATH", fastPath());
    all.put("RMA_EVENT_LOOPS", eventLoops());
    return new RoutingHarness(all);
  }

  RoutingHarness harness() {
    return harness(Map.of());
  }

  <T extends AutoCloseable> T closeLater(T t) {
    closing.add(0, t);
    return t;
  }

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : closing) {
      c.close();
    }
  }
}
