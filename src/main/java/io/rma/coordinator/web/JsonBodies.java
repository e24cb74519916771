package io.rma.coordinator.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * Reading and writing JSON on the wire: bodies are read with a size cap (413 past it), parsed
 * strictly (400 when malformed), and answers are written snake_case, as the original service's
 * agents expect.
 */
public final class JsonBodies {
  /** snake_case for records and beans; map keys are written as given. */
  public static final ObjectMapper WIRE =
      new ObjectMapper()
          .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

  /** Bodies up to this size are read into an exact array at once; larger ones grow as they come. */
  public static final int EXACT_READ_BYTES = 64 * 1024;

  private JsonBodies() {}

  /** The body as JSON, at most {@code maxBytes} long; an empty body is an empty object. */
  public static JsonNode read(ServerRequest req, long maxBytes) {
    byte[] body = readBytes(req, maxBytes);
    if (body.length == 0) {
      return WIRE.createObjectNode();
    }
    try {
      return WIRE.readTree(body);
    } catch (JsonProcessingException e) {
      throw ApiException.badRequest("malformed JSON body: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The raw body, at most {@code maxBytes} long. */
  public static byte[] readBytes(ServerRequest req, long maxBytes) {
    var declared = req.headers().contentLength();
    if (declared.isPresent() && declared.getAsLong() > maxBytes) {
      throw tooLarge(maxBytes);
    }
    if (!req.content().hasEntity()) {
      return new byte[0];
    }
    try (InputStream in = req.content().inputStream()) {
      if (declared.isPresent()) {
        int length = (int) declared.getAsLong();
        // A small body: one exact buffer (a hot path for inference). A larger one grows as its
        // bytes arrive, so a declared length costs memory only once that much was sent.
        byte[] body;
        int read;
        if (length <= EXACT_READ_BYTES) {
          body = new byte[length];
          read = in.readNBytes(body, 0, length);
        } else {
          body = in.readNBytes(length);
          read = body.length;
        }
        if (read < length || in.read() != -1) {
          throw ApiException.badRequest("the request body does not match its Content-Length");
        }
        return body;
      }
      byte[] body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
      if (body.length > maxBytes) {
        throw tooLarge(maxBytes);
      }
      return body;
    } catch (IOException e) {
      throw ApiException.badRequest("could not read the request body: " + e.getMessage());
    }
  }

  private static ApiException tooLarge(long maxBytes) {
    return new ApiException(
        413, "request body larger than " + maxBytes + " bytes", Map.of(), "body_too_large");
  }

  public static void send(ServerResponse res, int status, Object body) {
    byte[] bytes = bytes(body);
    res.status(Status.create(status));
    res.header(HeaderNames.CONTENT_TYPE, "application/json");
    res.send(bytes);
  }

  /** Answers {@code body} as JSON, with further response headers. */
  public static void send(Exchange ex, int status, Map<String, String> headers, Object body) {
    ex.send(status, "application/json", headers, bytes(body));
  }

  public static void send(Exchange ex, int status, Object body) {
    send(ex, status, Map.of(), body);
  }

  /** {@code body} written as JSON. */
  public static byte[] bytes(Object body) {
    try {
      return WIRE.writeValueAsBytes(body);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static void ok(ServerResponse res, Object body) {
    send(res, 200, body);
  }
}
