package io.rma.coordinator.http;

/**
 * Every test of {@link OpenAiErrorsTest} with the inference fast path off: Helidon's routing only.
 */
class OpenAiErrorsOnHelidonTest extends OpenAiErrorsTest {
  @Override
  String fastPath() {
    return "false";
  }
}
