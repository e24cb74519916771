package io.rma.coordinator.http;

/**
 * Every test of {@link InferenceRoutesTest} with the event loops off: the inference fast path on
 * Helidon's connections, a virtual thread each.
 */
class InferenceRoutesOnThreadsTest extends InferenceRoutesTest {
  @Override
  String eventLoops() {
    return "0";
  }
}
