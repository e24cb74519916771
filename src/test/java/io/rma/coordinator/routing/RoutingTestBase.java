package io.rma.coordinator.routing;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;

/**
 * Coordinators and stub workers closed after each test, and the switch that runs a whole test class
 * with the inference fast path on (here) or off (a subclass overriding {@link #fastPath}).
 */
abstract class RoutingTestBase {
  private final List<AutoCloseable> closing = new ArrayList<>();

  /** "true": inference requests take the fast path; a subclass runs every test without it. */
  String fastPath() {
    return "true";
  }

  RoutingHarness harness(Map<String, String> env) {
    Map<String, String> all = new HashMap<>(env);
    all.put("RMA_INFERENCE_FAST_PATH", fastPath());
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
