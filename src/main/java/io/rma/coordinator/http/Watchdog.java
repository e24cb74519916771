package io.rma.coordinator.http;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One daemon thread that runs a deadline check every tick: how socket reads and writes get their
 * timeouts without a timed read per call (a timed read on a virtual thread arms and cancels a
 * scheduler timer each time, which cost a quarter of a proxied request's CPU). Used for the calls
 * to workers and for request bodies that hold budget.
 */
public final class Watchdog {
  private Watchdog() {}

  /**
   * Starts {@code check} every {@code tickMillis} on a daemon thread named {@code name}; shut the
   * returned executor down to stop it.
   */
  public static ScheduledExecutorService start(String name, long tickMillis, Runnable check) {
    ScheduledExecutorService executor =
        Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().daemon().name(name).unstarted(r));
    executor.scheduleAtFixedRate(check, tickMillis, tickMillis, TimeUnit.MILLISECONDS);
    return executor;
  }
}
