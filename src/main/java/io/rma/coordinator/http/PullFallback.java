package io.rma.coordinator.http;

/**
 * Where a request goes when no push worker can take it: the pull workers' task queue (see {@code
 * tasks.TaskClientService#answer}). Push workers are preferred because a pushed call has no queue
 * or poll in its path; pull workers take the service's requests whenever no push worker can.
 */
@FunctionalInterface
public interface PullFallback {
  PullFallback NONE = (call, ex) -> false;

  /**
   * Queues the call for pull workers and answers the client.
   *
   * @return false, with nothing answered, when no pull worker runs the call's service and model
   */
  boolean offer(Router.Call call, Exchange ex);
}
