package io.rma.coordinator.http;

/**
 * Every test of {@link LargeAnswersTest} with the event loops off: the inference fast path on
 * Helidon's connections, a virtual thread each.
 */
class LargeAnswersOnThreadsTest extends LargeAnswersTest {
  @Override
  String eventLoops() {
    return "0";
  }
}
