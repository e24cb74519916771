package io.rma.coordinator.http;

/**
 * Every test of {@link RoutingBehaviourTest} with the event loops off: the inference fast path on
 * Helidon's connections, a virtual thread each.
 */
class RoutingBehaviourOnThreadsTest extends RoutingBehaviourTest {
  @Override
  String eventLoops() {
    return "0";
  }
}
