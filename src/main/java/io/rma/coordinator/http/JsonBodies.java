package io.rma.coordinator.http;

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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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

  /** Bodies up to this size are read at once; larger ones are copied in as their bytes come. */
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

  /**
   * The raw body, at most {@code maxBytes} long, read under the request's body deadline (the hold
   * {@link ConnectionRules} registers for every request).
   */
  public static byte[] readBytes(ServerRequest req, long maxBytes) {
    return readBytes(
        req,
        maxBytes,
        req.context().get(BodyBudget.Hold.class).orElseGet(() -> BodyBudget.unlimited().hold()));
  }

  /**
   * The raw body, at most {@code maxBytes} long, its bytes taken from {@code hold} as they arrive
   * (503 when the budget has no room; the caller closes the hold once the request is answered). A
   * body whose framing is broken (a malformed chunk, a connection closed part-way) is a 400 that
   * ends the connection: what follows on it cannot be told apart from the broken body.
   */
  public static byte[] readBytes(ServerRequest req, long maxBytes, BodyBudget.Hold hold) {
    var declared = req.headers().contentLength();
    if (declared.isPresent() && declared.getAsLong() > maxBytes) {
      throw tooLarge(maxBytes);
    }
    if (!req.content().hasEntity()) {
      return new byte[0];
    }
    hold.startReading();
    try (InputStream in = req.content().inputStream()) {
      if (declared.isPresent()) {
        int length = (int) declared.getAsLong();
        // The declared length is taken from the budget before any of it is read: an admitted body
        // can always be completed, and declared lengths cannot add up past the budget.
        hold.take(length);
        byte[] body;
        int read;
        if (hold.bounded() || length <= EXACT_READ_BYTES) {
          body = new byte[length];
          read = readFully(in, body, hold);
        } else {
          // No budget bounds what declared lengths add up to (bodies other than inference
          // requests): the body grows as bytes arrive, so a declared length costs memory only once
          // that much was sent.
          body = readGrowing(in, length, hold);
          read = body.length;
        }
        if (read < length || in.read() != -1) {
          throw malformed("the request body does not match its Content-Length");
        }
        return body;
      }
      byte[] body = readGrowing(in, maxBytes + 1, hold);
      if (body.length > maxBytes) {
        throw tooLarge(maxBytes);
      }
      return body;
    } catch (IOException | UncheckedIOException e) {
      throw malformed("could not read the request body: " + rootMessage(e));
    } catch (ApiException e) {
      throw e;
    } catch (RuntimeException e) {
      // Helidon's chunk reader fails with NumberFormatException, IncorrectNewLineException or a
      // RequestException on broken framing.
      throw malformed("malformed request body framing: " + rootMessage(e));
    } finally {
      hold.doneReading();
    }
  }

  private static ApiException malformed(String detail) {
    return new ApiException(400, ProtocolErrors.clean(detail), Map.of(), "invalid_request")
        .closingConnection();
  }

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
  }

  /**
   * Fills {@code body} as bytes arrive, each arrival resetting the body deadline of {@code hold}.
   */
  private static int readFully(InputStream in, byte[] body, BodyBudget.Hold hold)
      throws IOException {
    int read = 0;
    while (read < body.length) {
      int n = in.read(body, read, body.length - read);
      if (n < 0) {
        break;
      }
      read += n;
      hold.progress();
    }
    return read;
  }

  /**
   * A body of unknown length (chunked): up to {@code limit} bytes, gathered in the pieces they
   * arrive in and taken from {@code hold} as they come.
   */
  private static byte[] readGrowing(InputStream in, long limit, BodyBudget.Hold hold)
      throws IOException {
    List<byte[]> pieces = new ArrayList<>();
    int size = 0;
    byte[] piece = new byte[EXACT_READ_BYTES];
    while (size < limit) {
      int n = in.read(piece, 0, (int) Math.min(piece.length, limit - size));
      if (n < 0) {
        break;
      }
      hold.take(n);
      pieces.add(Arrays.copyOf(piece, n));
      size += n;
      hold.progress();
    }
    byte[] body = new byte[size];
    int at = 0;
    for (byte[] p : pieces) {
      System.arraycopy(p, 0, body, at, p.length);
      at += p.length;
    }
    return body;
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
