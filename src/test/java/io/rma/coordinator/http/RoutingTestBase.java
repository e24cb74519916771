package io.rma.coordinator.http;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;

/** Coordinators and stub workers closed after each test. */
abstract class RoutingTestBase {
  private final List<AutoCloseable> closing = new ArrayList<>();

  RoutingHarness harness(Map<String, String> env) {
    return new RoutingHarness(env);
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
