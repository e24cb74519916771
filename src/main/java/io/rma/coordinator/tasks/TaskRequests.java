package io.rma.coordinator.tasks;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** What the queue reads from a request: its model, its digest, its size. */
final class TaskRequests {
  private TaskRequests() {}

  /** The request's {@code model} field, when it names one. */
  static String modelOf(JsonNode request) {
    JsonNode model = request == null ? null : request.get("model");
    return model != null && model.isTextual() && !model.asText().isBlank() ? model.asText() : null;
  }

  /** About the memory a JSON value takes: its length as text. */
  static long sizeOf(JsonNode node) {
    return node == null ? 0 : String.valueOf(node).length();
  }

  /** Digest of everything that makes two submissions the same (an Idempotency-Key's check). */
  static String digest(String service, String route, String model, JsonNode request) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update((service + "\n" + route + "\n" + model + "\n").getBytes(StandardCharsets.UTF_8));
      sha.update(String.valueOf(request).getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
