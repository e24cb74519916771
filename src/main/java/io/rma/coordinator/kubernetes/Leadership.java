package io.rma.coordinator.kubernetes;

import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;

/**
 * Whether this replica leads. Only the leader reconciles and serves the worker and admin API,
 * because the liveness the phases are judged from (the last heartbeat of each worker) is held in
 * the memory of the replica that received the heartbeats.
 *
 * <p>A replica that loses the Lease without being asked to stop (it could not renew in time, so
 * another may already lead) exits: it restarts as a standby with empty memory, which is exactly
 * what a standby should have. JOSDK's own exit-on-stop-leading is off because JOSDK also calls it
 * from {@code Operator.stop()}, where {@code System.exit} inside a shutdown hook would hang.
 */
public final class Leadership {
  private static final Logger LOG = System.getLogger(Leadership.class.getName());

  private volatile boolean leader;
  private volatile boolean stopping;
  private final Runnable onTakeover;
  private final Runnable onLostLease;

  /**
   * @param onTakeover run when this replica becomes the leader, before it reconciles anything
   * @param onLostLease run when the Lease was lost while running (production: exit the process)
   */
  public Leadership(boolean leaderFromStart, Runnable onTakeover, Runnable onLostLease) {
    this.leader = leaderFromStart;
    this.onTakeover = onTakeover;
    this.onLostLease = onLostLease;
  }

  /** No election (a single replica, or tests): this replica leads from the start. */
  public static Leadership alone() {
    return new Leadership(true, () -> {}, () -> {});
  }

  public boolean isLeader() {
    return leader;
  }

  /** Marks a deliberate stop, so that giving up the Lease is not taken for losing it. */
  public void stopping() {
    stopping = true;
    leader = false;
  }

  public LeaderCallbacks callbacks(String identity) {
    return new LeaderCallbacks(
        () -> {
          LOG.log(Level.INFO, identity + " took the lease: now reconciling and serving");
          onTakeover.run();
          leader = true;
        },
        () -> {
          leader = false;
          if (!stopping) {
            LOG.log(Level.ERROR, identity + " lost the lease: exiting to restart as a standby");
            onLostLease.run();
          }
        },
        newLeader -> LOG.log(Level.INFO, "leader is now " + newLeader));
  }
}
