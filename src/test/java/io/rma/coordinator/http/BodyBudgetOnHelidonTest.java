package io.rma.coordinator.http;

/** {@link BodyBudgetTest} with the fast path off: Helidon's routing reads the bodies. */
class BodyBudgetOnHelidonTest extends BodyBudgetTest {
  @Override
  String fastPath() {
    return "false";
  }
}
