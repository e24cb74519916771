package io.rma.coordinator.kubernetes;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.rma.coordinator.api.v1alpha1.RMAWorker;
import io.rma.coordinator.api.v1alpha1.WorkerPhase;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Kubernetes Events on an RMAWorker ({@code kubectl describe rmaworker NAME} shows them): one per
 * phase change and one when a worker is pruned. An Event that cannot be written is logged and
 * dropped; it never fails a reconcile.
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

  private void emit(RMAWorker w, String type, String reason, String message) {
    Instant now = clock.instant();
    String at = now.toString();
    // Named like kubectl's recorder does: object name and a unique hex suffix.
    String name =
        w.getMetadata().getName()
            + "."
            + Long.toHexString(now.toEpochMilli() * 1000 + sequence.incrementAndGet() % 1000);
    Event event =
        new EventBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(w.getMetadata().getNamespace())
            .endMetadata()
            .withInvolvedObject(
                new ObjectReferenceBuilder()
                    .withApiVersion(RMAWorker.GROUP + "/" + RMAWorker.VERSION)
                    .withKind(RMAWorker.KIND)
                    .withName(w.getMetadata().getName())
                    .withNamespace(w.getMetadata().getNamespace())
                    .withUid(w.getMetadata().getUid())
                    .build())
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
      client.v1().events().inNamespace(w.getMetadata().getNamespace()).resource(event).create();
    } catch (KubernetesClientException e) {
      LOG.log(Level.WARNING, "could not record event " + reason + " on " + name, e);
    }
  }
}
