package io.rma.coordinator.http;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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

  /** The fields routing reads from a body it passes on unchanged. */
  record Peek(String model, boolean stream) {}

  /**
   * Reads {@code model} and {@code stream} from a JSON object without building a tree; the rest is
   * only checked to be well-formed. Same answers as {@link #object} with {@link #text} and {@link
   * #flag} on malformed or mistyped input.
   */
  static Peek peek(byte[] raw) {
    if (raw.length == 0) {
      return new Peek(null, false);
    }
    String model = null;
    boolean stream = false;
    try (JsonParser p = JsonBodies.WIRE.getFactory().createParser(raw)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw ApiException.unprocessable("the body must be a JSON object");
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken value = p.nextToken();
        if (field.equals("model") && value != JsonToken.VALUE_NULL) {
          if (value != JsonToken.VALUE_STRING) {
            throw ApiException.unprocessable("model must be a string");
          }
          model = p.getText();
        } else if (field.equals("stream") && value != JsonToken.VALUE_NULL) {
          if (value != JsonToken.VALUE_TRUE && value != JsonToken.VALUE_FALSE) {
            throw ApiException.unprocessable("stream must be true or false");
          }
          stream = value == JsonToken.VALUE_TRUE;
        } else {
          p.skipChildren();
        }
      }
      if (p.nextToken() != null) {
        throw ApiException.badRequest("malformed JSON body: data after the object");
      }
    } catch (JsonProcessingException e) {
      throw ApiException.badRequest("malformed JSON body: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new Peek(model, stream);
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
