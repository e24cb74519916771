package io.rma.coordinator.http;

import io.helidon.webserver.CloseConnectionException;
import io.rma.coordinator.pool.WorkerView;
import io.rma.coordinator.routing.UpstreamFailure;
import io.rma.coordinator.routing.UpstreamFailure.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Passes a worker's answer to the client: a small one whole, with its length; a large one, or a
 * stream, as it arrives (the client's reading paces the worker's: blocking writes on a virtual
 * thread are the back-pressure). No answer is held whole in memory past {@link #PASS_THROUGH_OVER},
 * and none longer than the cap is passed on. A client that goes away closes the worker's connection
 * (which cancels the work on servers that watch for it); a worker that stops mid-answer closes the
 * client's connection, so the client sees a cut-off answer, not an end.
 */
final class AnswerRelay {
  private static final Logger LOG = System.getLogger(AnswerRelay.class.getName());

  /** Non-streamed answers longer than this (and within the cap) are passed on, not held whole. */
  static final long PASS_THROUGH_OVER = 64 * 1024;

  private static final Map<String, String> STREAM_HEADERS =
      Map.of("Cache-Control", "no-cache", "X-Accel-Buffering", "no");

  /** Headers that belong to one connection, not to the answer (RFC 9110 §7.6.1), and ours. */
  static final Set<String> HOP_BY_HOP =
      Set.of(
          "connection",
          "keep-alive",
          "proxy-authenticate",
          "proxy-authorization",
          "proxy-connection",
          "te",
          "trailer",
          "transfer-encoding",
          "upgrade",
          "content-length",
          "content-type",
          "date",
          "host");

  /** Records a failed worker (for ejection and the log). */
  @FunctionalInterface
  interface FailureSink {
    void failed(String worker, Router.Call call, UpstreamFailure f);
  }

  private final long maxBodyBytes;
  private final WorkerClient workers;
  private final RouteMetrics metrics;
  private final RoutingErrors errors;
  private final FailureSink failures;

  AnswerRelay(
      long maxBodyBytes,
      WorkerClient workers,
      RouteMetrics metrics,
      RoutingErrors errors,
      FailureSink failures) {
    this.maxBodyBytes = maxBodyBytes;
    this.workers = workers;
    this.metrics = metrics;
    this.errors = errors;
    this.failures = failures;
  }

  /** Passes {@code answer} on as the answer to the client. */
  void pass(Router.Call call, WorkerView worker, WorkerClient.Answer answer, Exchange ex)
      throws UpstreamFailure {
    int status = answer.status();
    Map<String, String> headers = call.passHeaders() ? endToEnd(answer) : Map.of();
    if (call.stream()) {
      // The service proxy passes the worker's own headers; a stream of ours says not to buffer it.
      Map<String, String> streamHeaders = call.passHeaders() ? headers : STREAM_HEADERS;
      relay(
          call,
          worker,
          answer,
          ex.stream(status, answer.contentType(), streamHeaders),
          true,
          Long.MAX_VALUE);
      return;
    }
    long length = answer.contentLength();
    if (length > PASS_THROUGH_OVER && length <= maxBodyBytes) {
      // Large, of known length: passed on as it arrives instead of held whole.
      relay(
          call,
          worker,
          answer,
          ex.fixed(status, answer.contentType(), headers, length),
          false,
          Long.MAX_VALUE);
      return;
    }
    if (length < 0) {
      unknownLength(call, worker, answer, ex, headers);
      return;
    }
    ex.send(status, answer.contentType(), headers, readCapped(answer, call, worker));
  }

  /** The worker's end-to-end answer headers, one value each (joined as HTTP allows). */
  private static Map<String, String> endToEnd(WorkerClient.Answer answer) {
    Map<String, String> out = new LinkedHashMap<>();
    answer
        .headerNames()
        .forEach(
            name -> {
              String lower = name.toLowerCase(Locale.ROOT);
              if (!HOP_BY_HOP.contains(lower)) {
                List<String> values = answer.header(name);
                if (!values.isEmpty()) {
                  out.put(name, String.join(lower.equals("set-cookie") ? "\n" : ", ", values));
                }
              }
            });
    return out;
  }

  /**
   * An answer of unknown length (chunked, or until the worker closes): held and sent whole while it
   * stays within {@link #PASS_THROUGH_OVER}, passed on chunked beyond that; the cap still holds (an
   * answer that grows past it is cut off).
   */
  private void unknownLength(
      Router.Call call,
      WorkerView worker,
      WorkerClient.Answer answer,
      Exchange ex,
      Map<String, String> headers)
      throws UpstreamFailure {
    byte[] first;
    try {
      first = answer.body().readNBytes((int) PASS_THROUGH_OVER + 1);
    } catch (IOException | RuntimeException e) {
      throw workers.whileReading(e);
    }
    if (first.length <= PASS_THROUGH_OVER) {
      ex.send(answer.status(), answer.contentType(), headers, first);
      return;
    }
    if (maxBodyBytes < first.length) {
      throw errors.tooLarge(call, worker, maxBodyBytes);
    }
    OutputStream out = ex.stream(answer.status(), answer.contentType(), headers);
    try {
      out.write(first);
    } catch (IOException | RuntimeException e) {
      metrics.outcome(call.route(), "cancelled");
      throw new CloseConnectionException("client went away mid-answer");
    }
    relay(call, worker, answer, out, false, maxBodyBytes - first.length);
  }

  /** An answer of known length within {@link #PASS_THROUGH_OVER} or over the cap, read whole. */
  private byte[] readCapped(WorkerClient.Answer answer, Router.Call call, WorkerView worker)
      throws UpstreamFailure {
    long declared = answer.contentLength();
    if (declared > maxBodyBytes) {
      throw errors.tooLarge(call, worker, maxBodyBytes);
    }
    try (InputStream in = answer.body()) {
      // One exact buffer, and the end read so the connection goes back to the pool.
      byte[] body = new byte[(int) declared];
      int n = in.readNBytes(body, 0, body.length);
      if (n < body.length || in.read() != -1) {
        throw new UpstreamFailure(
            Kind.FAILED, "answer did not match its Content-Length of " + declared);
      }
      return body;
    } catch (IOException | RuntimeException e) {
      throw workers.whileReading(e);
    }
  }

  /**
   * Passes the answer on as it arrives: a stream chunk by chunk ({@code flush} each read), or a
   * large answer (more than {@code limit} bytes of it cut it off).
   */
  private void relay(
      Router.Call call,
      WorkerView worker,
      WorkerClient.Answer answer,
      OutputStream out,
      boolean flush,
      long limit) {
    // A stream's events are small (an SSE event is a few hundred bytes): a small buffer each.
    byte[] buf = new byte[flush ? 2048 : 16 * 1024];
    InputStream in = answer.body();
    long left = limit;
    while (true) {
      int n;
      try {
        n = in.read(buf);
      } catch (IOException | RuntimeException e) {
        UpstreamFailure f = workers.whileReading(e);
        failures.failed(worker.name(), call, f);
        metrics.outcome(call.route(), "worker_failed");
        throw new CloseConnectionException(
            "worker " + worker.name() + " stopped mid-answer: " + f.getMessage());
      }
      if (n < 0) {
        break;
      }
      left -= n;
      if (left < 0) {
        overCap(call, worker);
        throw new CloseConnectionException("worker answer over the cap");
      }
      try {
        out.write(buf, 0, n);
        if (flush) {
          out.flush();
        }
      } catch (IOException | RuntimeException e) {
        metrics.outcome(call.route(), "cancelled");
        LOG.log(
            Level.DEBUG,
            () -> "client left a " + call.route() + " answer; closing worker " + worker.name());
        throw new CloseConnectionException("client went away mid-answer");
      }
    }
    try {
      out.close();
    } catch (IOException | RuntimeException e) {
      throw new CloseConnectionException("client went away at the end of an answer");
    }
  }

  /** An answer being passed on grew past the cap: counted and logged; the caller cuts it off. */
  private void overCap(Router.Call call, WorkerView worker) {
    metrics.outcome(call.route(), "worker_failed");
    LOG.log(
        Level.WARNING,
        "worker "
            + worker.name()
            + " sent a "
            + call.route()
            + " answer longer than "
            + maxBodyBytes
            + " bytes; cut off");
  }
}
