package io.rma.coordinator.kubernetes;

import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaderElectionRecord;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.Optional;

/**
 * What the leader does to its own pod and to the Lease: labels the pod {@code rma.io/leader=true}
 * (the Service selects that label) with a pod-deletion cost, and gives the Lease up on a clean stop
 * so a standby takes over within one retry period instead of a lease duration.
 */
public final class LeaderPod {
  private static final Logger LOG = System.getLogger(LeaderPod.class.getName());

  public static final String LEADER_LABEL = "rma.io/leader";

  /** Pods with a lower cost go first when a ReplicaSet scales down (Kubernetes 1.22+). */
  public static final String DELETION_COST = "controller.kubernetes.io/pod-deletion-cost";

  private final KubernetesClient client;
  private final Optional<String> pod;
  private final String podNamespace;

  /**
   * @param pod this replica's pod, if it runs in one
   * @param podNamespace that pod's namespace
   */
  public LeaderPod(KubernetesClient client, Optional<String> pod, String podNamespace) {
    this.client = client;
    this.pod = pod;
    this.podNamespace = podNamespace;
  }

  /** Marks (or unmarks) this replica's pod as the one the Service should send traffic to. */
  public void label(boolean leader) {
    if (pod.isEmpty()) {
      return;
    }
    // The deletion cost makes a ReplicaSet that scales down (each step of a rolling update) stop
    // a standby before the leader: a rollout then hands the Lease over once, not once per old pod.
    String patch =
        "{\"metadata\":{\"labels\":{\""
            + LEADER_LABEL
            + "\":"
            + (leader ? "\"true\"" : "null")
            + "},\"annotations\":{\""
            + DELETION_COST
            + "\":"
            + (leader ? "\"1000\"" : "null")
            + "}}}";
    try {
      client
          .pods()
          .inNamespace(podNamespace)
          // With an item at hand fabric8 patches without a GET first: only "patch pods" is needed.
          .resource(
              new PodBuilder()
                  .withNewMetadata()
                  .withName(pod.get())
                  .withNamespace(podNamespace)
                  .endMetadata()
                  .build())
          .patch(PatchContext.of(PatchType.JSON_MERGE), patch);
    } catch (KubernetesClientException e) {
      LOG.log(
          leader ? Level.ERROR : Level.WARNING,
          "cannot "
              + (leader ? "set" : "remove")
              + " label "
              + LEADER_LABEL
              + " on pod "
              + pod.get(),
          e);
    }
  }

  /** Gives up the Lease (if {@code identity} holds it) by shortening it to one second. */
  public void releaseLease(String leaseNamespace, String leaseName, String identity) {
    try {
      LeaseLock lock = new LeaseLock(leaseNamespace, leaseName, identity);
      LeaderElectionRecord current = lock.get(client);
      if (current != null && identity.equals(current.getHolderIdentity())) {
        ZonedDateTime now = ZonedDateTime.now();
        lock.update(
            client,
            new LeaderElectionRecord(
                identity, Duration.ofSeconds(1), now, now, current.getLeaderTransitions()));
        LOG.log(Level.INFO, identity + " released the lease");
      }
    } catch (KubernetesClientException e) {
      LOG.log(Level.WARNING, "could not release the lease: " + e.getMessage());
    }
  }
}
