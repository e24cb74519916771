package io.rma.coordinator.web;

import io.helidon.http.HeaderNames;
import io.helidon.http.HttpException;
import io.helidon.webserver.http.HttpRouting;
import io.rma.coordinator.store.StoreException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.LinkedHashMap;
import java.util.Map;

/** Maps errors to JSON {@code {"detail": ...}} once, at routing level. */
public final class ErrorMapping {
  private static final Logger LOG = System.getLogger(ErrorMapping.class.getName());

  private ErrorMapping() {}

  public static void register(HttpRouting.Builder routing) {
    routing
        .error(
            ApiException.class,
            (req, res, e) -> {
              Map<String, Object> body = new LinkedHashMap<>();
              body.put("detail", e.getMessage());
              body.putAll(e.extra());
              if (e.extra().get("retry_after") instanceof Number seconds) {
                res.header(HeaderNames.RETRY_AFTER, String.valueOf(seconds.longValue()));
              }
              JsonBodies.send(res, e.status(), body);
            })
        .error(
            StoreException.class,
            (req, res, e) -> {
              LOG.log(Level.ERROR, "store failure on " + req.prologue() + ": " + e.getMessage(), e);
              JsonBodies.send(
                  res, 503, Map.of("detail", "the worker store is unavailable: " + e.getMessage()));
            })
        .error(
            HttpException.class,
            (req, res, e) -> {
              int code = e.status().code();
              if (code >= 500) {
                LOG.log(Level.ERROR, "failure on " + req.prologue() + ": " + e.getMessage(), e);
              }
              String detail =
                  code == 404
                      ? "no such endpoint: "
                          + req.prologue().method().text()
                          + " "
                          + req.path().path()
                      : code == 405
                          ? "method not allowed: "
                              + req.prologue().method().text()
                              + " "
                              + req.path().path()
                          : e.getMessage();
              JsonBodies.send(res, code, Map.of("detail", detail));
            })
        .error(
            RuntimeException.class,
            (req, res, e) -> {
              LOG.log(Level.ERROR, "unexpected failure on " + req.prologue(), e);
              JsonBodies.send(res, 500, Map.of("detail", "internal error"));
            });
  }
}
