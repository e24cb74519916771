package io.rma.coordinator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.PrinterColumn;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What the control plane decided for the worker and last observed of it. Each field's {@link
 * JsonPropertyDescription} becomes its description in the CRD.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class RMAWorkerStatus {
  @JsonPropertyDescription("1 = GPU worker, 2 = CPU worker, 3 = small/storage worker.")
  @PrinterColumn(name = "Tier")
  private Integer tier;

  @JsonPropertyDescription("Services the coordinator asked this worker to run.")
  private List<String> assignedServices = new ArrayList<>();

  @JsonPropertyDescription("Healthy, Degraded, Offline or Draining.")
  @PrinterColumn(name = "Phase")
  private WorkerPhase phase;

  @JsonPropertyDescription("Load the worker last reported, 0.0 to 1.0.")
  @PrinterColumn(name = "Load")
  private Double load;

  @JsonPropertyDescription("Free memory the worker last reported, as it wrote it.")
  private String availableMemory;

  @JsonPropertyDescription(
      "When the coordinator last received a heartbeat (its own clock, RFC 3339).")
  private String lastHeartbeat;

  @JsonPropertyDescription("When the worker registered (RFC 3339).")
  private String registeredAt;

  @JsonPropertyDescription(
      "Where the coordinator reaches the worker: its tunnel URL, else http://ipAddress:port (the"
          + " port it declared, else its first service's port in the catalogue).")
  private String endpoint;

  @JsonPropertyDescription("Inference tasks this worker completed.")
  private Long tasksCompleted;

  @JsonPropertyDescription(
      "SHA-256 of the worker's credential, hex; the credential itself is never stored.")
  private String credentialHash;

  @JsonPropertyDescription(
      "The worker has used its credential (or registered with the join token): from then on every"
          + " call about it must carry it. Unset for workers that never have, such as the original"
          + " agents, which RMA_WORKER_AUTH=auto accepts without credentials.")
  private Boolean credentialInUse;

  @JsonPropertyDescription("Ready and other conditions, Kubernetes style.")
  private List<Condition> conditions = new ArrayList<>();

  @JsonPropertyDescription("The metadata.generation of the spec this status was computed from.")
  private Long observedGeneration;

  public RMAWorkerStatus() {}

  /** A copy, so callers can change it without touching a stored object. */
  public RMAWorkerStatus copy() {
    RMAWorkerStatus c = new RMAWorkerStatus();
    c.tier = tier;
    c.assignedServices = new ArrayList<>(assignedServices == null ? List.of() : assignedServices);
    c.phase = phase;
    c.load = load;
    c.availableMemory = availableMemory;
    c.lastHeartbeat = lastHeartbeat;
    c.registeredAt = registeredAt;
    c.endpoint = endpoint;
    c.tasksCompleted = tasksCompleted;
    c.credentialHash = credentialHash;
    c.credentialInUse = credentialInUse;
    c.conditions = new ArrayList<>();
    if (conditions != null) {
      for (Condition k : conditions) {
        Condition n = new Condition(k.getType(), k.getStatus(), k.getReason(), k.getMessage());
        n.setLastTransitionTime(k.getLastTransitionTime());
        n.setObservedGeneration(k.getObservedGeneration());
        c.conditions.add(n);
      }
    }
    c.observedGeneration = observedGeneration;
    return c;
  }

  public Integer getTier() {
    return tier;
  }

  public void setTier(Integer tier) {
    this.tier = tier;
  }

  public List<String> getAssignedServices() {
    return assignedServices;
  }

  public void setAssignedServices(List<String> assignedServices) {
    this.assignedServices = assignedServices;
  }

  public WorkerPhase getPhase() {
    return phase;
  }

  public void setPhase(WorkerPhase phase) {
    this.phase = phase;
  }

  public Double getLoad() {
    return load;
  }

  public void setLoad(Double load) {
    this.load = load;
  }

  public String getAvailableMemory() {
    return availableMemory;
  }

  public void setAvailableMemory(String availableMemory) {
    this.availableMemory = availableMemory;
  }

  public String getLastHeartbeat() {
    return lastHeartbeat;
  }

  public void setLastHeartbeat(String lastHeartbeat) {
    this.lastHeartbeat = lastHeartbeat;
  }

  public String getRegisteredAt() {
    return registeredAt;
  }

  public void setRegisteredAt(String registeredAt) {
    this.registeredAt = registeredAt;
  }

  public String getEndpoint() {
    return endpoint;
  }

  public void setEndpoint(String endpoint) {
    this.endpoint = endpoint;
  }

  public Long getTasksCompleted() {
    return tasksCompleted;
  }

  public void setTasksCompleted(Long tasksCompleted) {
    this.tasksCompleted = tasksCompleted;
  }

  public String getCredentialHash() {
    return credentialHash;
  }

  public void setCredentialHash(String credentialHash) {
    this.credentialHash = credentialHash;
  }

  public Boolean getCredentialInUse() {
    return credentialInUse;
  }

  public void setCredentialInUse(Boolean credentialInUse) {
    this.credentialInUse = credentialInUse;
  }

  public List<Condition> getConditions() {
    return conditions;
  }

  public void setConditions(List<Condition> conditions) {
    this.conditions = conditions;
  }

  public Long getObservedGeneration() {
    return observedGeneration;
  }

  public void setObservedGeneration(Long observedGeneration) {
    this.observedGeneration = observedGeneration;
  }

  /**
   * True when the two differ in a decision or an observed transition, ignoring the fields that
   * change with every heartbeat (load, free memory, last heartbeat). Those are written at a slow
   * keepalive instead.
   */
  @JsonIgnore
  public boolean differsInDecisionsFrom(RMAWorkerStatus o) {
    return o == null
        || !Objects.equals(tier, o.tier)
        || !Objects.equals(assignedServices, o.assignedServices)
        || !Objects.equals(endpoint, o.endpoint)
        || phase != o.phase
        || !Objects.equals(tasksCompleted, o.tasksCompleted)
        || !Objects.equals(credentialHash, o.credentialHash)
        || !Objects.equals(credentialInUse, o.credentialInUse)
        || !Objects.equals(conditions, o.conditions)
        || !Objects.equals(observedGeneration, o.observedGeneration);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RMAWorkerStatus s
        && !differsInDecisionsFrom(s)
        && Objects.equals(load, s.load)
        && Objects.equals(availableMemory, s.availableMemory)
        && Objects.equals(lastHeartbeat, s.lastHeartbeat)
        && Objects.equals(registeredAt, s.registeredAt);
  }

  @Override
  public int hashCode() {
    return Objects.hash(tier, assignedServices, phase, lastHeartbeat, observedGeneration);
  }
}
