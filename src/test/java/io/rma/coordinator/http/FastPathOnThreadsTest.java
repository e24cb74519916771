package io.rma.coordinator.http;

/**
 * Every test of {@link FastPathTest} with the event loops off: the fast path on Helidon's
 * connections, a virtual thread each.
 */
class FastPathOnThreadsTest extends FastPathTest {
  @Override
  String eventLoops() {
    return "0";
  }
}
