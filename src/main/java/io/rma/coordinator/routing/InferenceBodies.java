package io.rma.coordinator.routing;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rma.coordinator.web.ApiException;
import io.rma.coordinator.web.JsonBodies;
import java.io.IOException;
import java.io.UncheckedIOException;

/** Strict reading of the few fields routing looks at: wrong types are a 422, never a 500. */
final class InferenceBodies {
  private InferenceBodies() {}

  /** The body as a JSON object; an empty body is an empty object. */
  static ObjectNode object(byte[] raw) {
    if (raw.length == 0) {
      return JsonBodies.WIRE.createObjectNode();
    }
    JsonNode node;
    try {
      node = JsonBodies.WIRE.readTree(raw);
    } catch (JsonProcessingException e) {
      throw ApiException.badRequest("malformed JSON body: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (node == null || node.isMissingNode()) {
      return JsonBodies.WIRE.createObjectNode();
    }
    if (!node.isObject()) {
      throw ApiException.unprocessable("the body must be a JSON object");
    }
    return (ObjectNode) node;
  }

  static byte[] bytes(JsonNode node) {
    try {
      return JsonBodies.WIRE.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** An optional string field; null when absent or JSON null. */
  static String text(JsonNode body, String field) {
    JsonNode n = body.get(field);
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isTextual()) {
      throw ApiException.unprocessable(field + " must be a string");
    }
    return n.asText();
  }

  static String requiredText(JsonNode body, String field, String hint) {
    String v = text(body, field);
    if (v == null || v.isBlank()) {
      throw ApiException.unprocessable(field + " is required" + hint);
    }
    return v;
  }

  /** The completion prompt: a non-empty string, or a list (OpenAI takes several prompts). */
  static void requirePrompt(JsonNode body) {
    JsonNode n = body.get("prompt");
    boolean ok =
        n != null && ((n.isTextual() && !n.asText().isBlank()) || (n.isArray() && !n.isEmpty()));
    if (!ok) {
      throw ApiException.unprocessable("prompt is required (a non-empty string)");
    }
  }

  static boolean flag(JsonNode body, String field) {
    JsonNode n = body.get(field);
    if (n == null || n.isNull()) {
      return false;
    }
    if (!n.isBoolean()) {
      throw ApiException.unprocessable(field + " must be true or false");
    }
    return n.asBoolean();
  }

  static int positiveInt(JsonNode body, String field, int fallback) {
    JsonNode n = body.get(field);
    if (n == null || n.isNull()) {
      return fallback;
    }
    if (!n.isIntegralNumber() || !n.canConvertToInt() || n.asInt() < 1) {
      throw ApiException.unprocessable(field + " must be a positive integer");
    }
    return n.asInt();
  }

  static double number(JsonNode body, String field, double fallback) {
    JsonNode n = body.get(field);
    if (n == null || n.isNull()) {
      return fallback;
    }
    if (!n.isNumber() || !Double.isFinite(n.asDouble()) || n.asDouble() < 0) {
      throw ApiException.unprocessable(field + " must be a number, 0 or more");
    }
    return n.asDouble();
  }
}
