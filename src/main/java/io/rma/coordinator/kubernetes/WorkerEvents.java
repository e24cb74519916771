package io.rma.coordinator.kubernetes;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.rma.coordinator.api.v1alpha1.RMAWorker;
import io.rma.coordinator.api.v1alpha1.WorkerPhase;
import io.rma.coordinator.pool.LifecycleLog;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Kubernetes Events on an RMAWorker ({@code kubectl describe rmaworker NAME} shows them): one per
 * phase change and one when a worker is pruned. The pool-wide news (pruning paused, the pause over,
 * pruning resumed) are Events on the coordinator's Lease name in the workers' namespace ({@link
 * #poolNews}). An Event that cannot be written is logged and dropped; it never fails a reconcile.
 */
public final class WorkerEvents {
  private static final Logger LOG = System.getLogger(WorkerEvents.class.getName());
  public static final String COMPONENT = "rma-coordinator";

  private final KubernetesClient client;
  private final Clock clock;
  private final String instance;
  private final AtomicLong sequence = new AtomicLong();

  public WorkerEvents(KubernetesClient client, Clock clock, String instance) {
    this.client = client;
    this.clock = clock;
    this.instance = instance;
  }

  public void phaseChanged(RMAWorker w, WorkerPhase from, WorkerPhase to, String message) {
    boolean bad = to == WorkerPhase.Offline || to == WorkerPhase.Degraded;
    emit(
        w,
        bad ? "Warning" : "Normal",
        "Worker" + to,
        (from == null ? "phase " + to : "phase " + from + " -> " + to) + ": " + message);
  }

  public void pruned(RMAWorker w, String message) {
    emit(w, "Normal", "WorkerPruned", message);
  }

  /**
   * The pool-wide news as Events: {@code PruningPaused} (Warning), {@code PruningPauseEnded}
   * (Normal, with the time pruning resumes) and {@code PruningResumed} (Normal). Their involved
   * object is the Lease {@code leaseName} in {@code namespace}, the workers' namespace (where this
   * account may write Events; the Lease itself may live in the pod's namespace, or not at all
   * without leader election): {@code kubectl get events --field-selector
   * involvedObject.name=rma-coordinator}.
   */
  public LifecycleLog.Listener poolNews(String namespace, String leaseName) {
    ObjectReference lease =
        new ObjectReferenceBuilder()
            .withApiVersion("coordination.k8s.io/v1")
            .withKind("Lease")
            .withName(leaseName)
            .withNamespace(namespace)
            .build();
    return new LifecycleLog.Listener() {
      @Override
      public void pauseBegan(int stale, int size, Instant at) {
        emit(
            lease,
            "Warning",
            "PruningPaused",
            stale
                + " of "
                + size
                + " workers are stale: pruning paused (the coordinator's own network is the"
                + " likelier fault)");
      }

      @Override
      public void pauseEnded(int stale, int size, Instant began, Instant at, Instant resumesAt) {
        emit(
            lease,
            "Normal",
            "PruningPauseEnded",
            "pause since "
                + began
                + " over ("
                + stale
                + " of "
                + size
                + " workers stale); nobody is pruned before "
                + resumesAt);
      }

      @Override
      public void pruningResumed(int stale, int size, Instant at) {
        emit(
            lease,
            "Normal",
            "PruningResumed",
            "pruning resumed (" + stale + " of " + size + " workers stale)");
      }
    };
  }

  private void emit(RMAWorker w, String type, String reason, String message) {
    emit(
        new ObjectReferenceBuilder()
            .withApiVersion(RMAWorker.GROUP + "/" + RMAWorker.VERSION)
            .withKind(RMAWorker.KIND)
            .withName(w.getMetadata().getName())
            .withNamespace(w.getMetadata().getNamespace())
            .withUid(w.getMetadata().getUid())
            .build(),
        type,
        reason,
        message);
  }

  private void emit(ObjectReference about, String type, String reason, String message) {
    Instant now = clock.instant();
    String at = now.toString();
    // Named like kubectl's recorder does: object name and a unique hex suffix.
    String name =
        about.getName()
            + "."
            + Long.toHexString(now.toEpochMilli() * 1000 + sequence.incrementAndGet() % 1000);
    Event event =
        new EventBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(about.getNamespace())
            .endMetadata()
            .withInvolvedObject(about)
            .withType(type)
            .withReason(reason)
            .withMessage(message)
            .withFirstTimestamp(at)
            .withLastTimestamp(at)
            .withCount(1)
            .withNewSource()
            .withComponent(COMPONENT)
            .endSource()
            .withReportingComponent(COMPONENT)
            .withReportingInstance(instance)
            .build();
    try {
      client.v1().events().inNamespace(about.getNamespace()).resource(event).create();
    } catch (KubernetesClientException e) {
      LOG.log(
          Level.WARNING,
          "could not record event " + reason + " on " + name + ": " + e.getMessage());
    }
  }
}
