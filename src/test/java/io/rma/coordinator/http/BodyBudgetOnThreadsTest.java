package io.rma.coordinator.http;

/**
 * Every test of {@link BodyBudgetTest} with the event loops off: the inference fast path on
 * Helidon's connections, a virtual thread each.
 */
class BodyBudgetOnThreadsTest extends BodyBudgetTest {
  @Override
  String eventLoops() {
    return "0";
  }
}
