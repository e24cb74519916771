package io.rma.coordinator.http;

import java.nio.charset.StandardCharsets;

/**
 * Decodes an HTTP/1.1 chunked body as its bytes arrive, in whatever pieces (for the event loops,
 * which cannot block to read a line). Lines (chunk sizes, trailers) are only taken whole: {@link
 * #decode} leaves an incomplete line unconsumed until more bytes came.
 */
final class ChunkedDecoder {
  /** Receives the body's data, piece by piece. */
  interface Sink {
    void data(byte[] b, int off, int len);
  }

  private static final int MAX_LINE = 4096;

  private enum State {
    SIZE,
    DATA,
    DATA_END,
    TRAILER,
    DONE
  }

  private State state = State.SIZE;
  private long remaining;

  /** Whether the last chunk and the trailers have been read. */
  boolean done() {
    return state == State.DONE;
  }

  /**
   * Decodes what it can of {@code b[from, to)}; returns how many bytes it consumed (the rest, an
   * incomplete line or what follows the end, is for the caller to keep).
   *
   * @throws IllegalArgumentException on a malformed body
   */
  int decode(byte[] b, int from, int to, Sink sink) {
    int at = from;
    while (at < to && state != State.DONE) {
      switch (state) {
        case DATA -> {
          int n = (int) Math.min(remaining, to - at);
          sink.data(b, at, n);
          at += n;
          remaining -= n;
          if (remaining == 0) {
            state = State.DATA_END;
          }
        }
        case DATA_END, SIZE, TRAILER -> {
          int lf = -1;
          for (int i = at; i < to; i++) {
            if (b[i] == '\n') {
              lf = i;
              break;
            }
          }
          if (lf < 0) {
            if (to - at > MAX_LINE) {
              throw new IllegalArgumentException("chunk line too long");
            }
            return at - from;
          }
          int end = lf > at && b[lf - 1] == '\r' ? lf - 1 : lf;
          line(b, at, end);
          at = lf + 1;
        }
        default -> throw new IllegalStateException(state.name());
      }
    }
    return at - from;
  }

  private void line(byte[] b, int from, int to) {
    switch (state) {
      case DATA_END -> {
        if (to != from) {
          throw new IllegalArgumentException("no line end after a chunk's data");
        }
        state = State.SIZE;
      }
      case SIZE -> {
        int end = from;
        while (end < to && b[end] != ';' && b[end] != ' ' && b[end] != '\t') {
          end++;
        }
        if (end == from || end - from > 15) {
          throw new IllegalArgumentException("bad chunk size");
        }
        long size;
        try {
          size = Long.parseLong(new String(b, from, end - from, StandardCharsets.ISO_8859_1), 16);
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("bad chunk size");
        }
        if (size < 0) {
          throw new IllegalArgumentException("bad chunk size");
        }
        remaining = size;
        state = size == 0 ? State.TRAILER : State.DATA;
      }
      case TRAILER -> {
        if (to == from) {
          state = State.DONE;
        }
      }
      default -> throw new IllegalStateException(state.name());
    }
  }
}
