package io.rma.coordinator.http;

/**
 * Every test of {@link OpenAiErrorsTest} with the event loops off: the inference fast path on
 * Helidon's connections, a virtual thread each.
 */
class OpenAiErrorsOnThreadsTest extends OpenAiErrorsTest {
  @Override
  String eventLoops() {
    return "0";
  }
}
