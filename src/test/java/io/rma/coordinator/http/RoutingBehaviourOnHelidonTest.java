package io.rma.coordinator.http;

/**
 * Every test of {@link RoutingBehaviourTest} with the inference fast path off: Helidon's routing
 * only.
 */
class RoutingBehaviourOnHelidonTest extends RoutingBehaviourTest {
  @Override
  String fastPath() {
    return "false";
  }
}
