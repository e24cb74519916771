package io.rma.coordinator.http;

/**
 * Every test of {@link InferenceRoutesTest} with the inference fast path off: Helidon's routing
 * only.
 */
class InferenceRoutesOnHelidonTest extends InferenceRoutesTest {
  @Override
  String fastPath() {
    return "false";
  }
}
