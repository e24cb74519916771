package io.rma.coordinator.http;

/** {@link LargeAnswersTest} with the fast path off: Helidon's routing answers. */
class LargeAnswersOnHelidonTest extends LargeAnswersTest {
  @Override
  String fastPath() {
    return "false";
  }
}
