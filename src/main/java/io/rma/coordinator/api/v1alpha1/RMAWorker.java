package io.rma.coordinator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;
import java.util.List;

/**
 * One inference worker of the pool. {@code spec} is what the worker declared when it registered;
 * {@code status} is what the control plane decided (tier, services) and observed (phase, load, last
 * heartbeat). The same class is stored in the API server (Kubernetes mode) and in the embedded
 * store (standalone mode).
 */
@Group(RMAWorker.GROUP)
@Version(RMAWorker.VERSION)
@Plural(RMAWorker.PLURAL)
@Singular("rmaworker")
@ShortNames("rmaw")
@Categories("rma")
// kubectl get rmaw: NAME TIER PHASE LOAD SERVICES LAST-HEARTBEAT AGE; -o wide adds ENDPOINT MODE
// MODELS. The generator sorts columns by JSON path; the build puts them in PRINTER_COLUMNS' order
// (src/build/OrderPrinterColumns.java, run from pom.xml).
@AdditionalPrinterColumn(
    name = "Services",
    jsonPath = ".status.assignedServices",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Last-Heartbeat",
    jsonPath = ".status.lastHeartbeat",
    type = AdditionalPrinterColumn.Type.DATE)
@AdditionalPrinterColumn(
    name = "Age",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
@AdditionalPrinterColumn(
    name = "Endpoint",
    jsonPath = ".status.endpoint",
    type = AdditionalPrinterColumn.Type.STRING,
    priority = 1)
@AdditionalPrinterColumn(
    name = "Mode",
    jsonPath = ".spec.mode",
    type = AdditionalPrinterColumn.Type.STRING,
    priority = 1)
@AdditionalPrinterColumn(
    name = "Models",
    jsonPath = ".spec.models",
    type = AdditionalPrinterColumn.Type.STRING,
    priority = 1)
public class RMAWorker extends CustomResource<RMAWorkerSpec, RMAWorkerStatus>
    implements Namespaced {
  public static final String GROUP = "rma.io";
  public static final String VERSION = "v1alpha1";
  public static final String PLURAL = "rmaworkers";
  public static final String KIND = "RMAWorker";

  /**
   * The order of the printer columns in the CRD (kubectl's habit: identifying columns first, AGE
   * last, then the {@code -o wide} ones). The build passes the same list to the post-processor in
   * pom.xml; CrdTest holds the two together.
   */
  public static final List<String> PRINTER_COLUMNS =
      List.of(
          "Tier",
          "Phase",
          "Load",
          "Services",
          "Last-Heartbeat",
          "Age",
          "Endpoint",
          "Mode",
          "Models");

  public RMAWorker() {}

  public RMAWorker(String name, RMAWorkerSpec spec) {
    getMetadata().setName(name);
    setSpec(spec);
  }

  // Overridden only to document spec and status in the CRD (kubectl explain rmaworker.spec).
  @Override
  @JsonPropertyDescription(
      "What the worker declared when it registered (written by the coordinator from the worker's"
          + " POST /api/worker/register); drain is the one field meant to be edited by hand.")
  public RMAWorkerSpec getSpec() {
    return super.getSpec();
  }

  @Override
  @JsonPropertyDescription(
      "What the coordinator decided for the worker (tier, services) and last observed of it"
          + " (phase, load, last heartbeat). Load and last heartbeat are written on phase changes"
          + " and at the status keepalive (RMA_STATUS_KEEPALIVE, default 5m), not on every"
          + " heartbeat.")
  public RMAWorkerStatus getStatus() {
    return super.getStatus();
  }

  @Override
  protected RMAWorkerSpec initSpec() {
    return new RMAWorkerSpec();
  }

  @Override
  protected RMAWorkerStatus initStatus() {
    return new RMAWorkerStatus();
  }
}
