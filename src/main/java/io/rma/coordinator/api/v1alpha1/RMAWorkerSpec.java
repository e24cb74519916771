package io.rma.coordinator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.ArrayList;
import java.util.List;

/**
 * What the worker declared when it registered. Each field's {@link JsonPropertyDescription} is its
 * documentation and becomes its description in the CRD ({@code kubectl explain rmaworker.spec}).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class RMAWorkerSpec {
  @JsonPropertyDescription("Hardware the worker reported; drives its tier.")
  private Capabilities capabilities = new Capabilities();

  @JsonPropertyDescription("Address the coordinator calls when the worker has no tunnel URL.")
  private String ipAddress;

  @JsonPropertyDescription(
      "Public URL of the worker (e.g. a tunnel); preferred over ipAddress and port when set.")
  private String tunnelUrl;

  @JsonPropertyDescription(
      "Port of the worker's service endpoint; the catalogue's port for the service when absent.")
  private Integer port;

  @JsonPropertyDescription(
      "Services the worker already runs (routing counts them like assigned ones).")
  private List<String> services = new ArrayList<>();

  @JsonPropertyDescription("Models the worker serves; empty means it takes any model.")
  private List<String> models = new ArrayList<>();

  @JsonPropertyDescription(
      "push: the coordinator calls the worker; pull: the worker polls for tasks.")
  private WorkerMode mode = WorkerMode.push;

  @JsonPropertyDescription(
      "Set to true to take the worker out of rotation: it goes to phase Draining and gets no new"
          + " work, but stays registered and keeps sending heartbeats. Set with: kubectl patch"
          + " rmaworker NAME --type merge -p '{\"spec\":{\"drain\":true}}'; false (or absent)"
          + " returns it to rotation.")
  private Boolean drain;

  /**
   * A copy whose lists are its own (the capabilities object is shared: nothing changes it after
   * registration), so callers can change it without touching a stored or cached object.
   */
  public RMAWorkerSpec copy() {
    RMAWorkerSpec c = new RMAWorkerSpec();
    c.capabilities = capabilities;
    c.ipAddress = ipAddress;
    c.tunnelUrl = tunnelUrl;
    c.port = port;
    c.services = services == null ? null : new ArrayList<>(services);
    c.models = models == null ? null : new ArrayList<>(models);
    c.mode = mode;
    c.drain = drain;
    return c;
  }

  public Capabilities getCapabilities() {
    return capabilities;
  }

  public void setCapabilities(Capabilities capabilities) {
    this.capabilities = capabilities;
  }

  public String getIpAddress() {
    return ipAddress;
  }

  public void setIpAddress(String ipAddress) {
    this.ipAddress = ipAddress;
  }

  public String getTunnelUrl() {
    return tunnelUrl;
  }

  public void setTunnelUrl(String tunnelUrl) {
    this.tunnelUrl = tunnelUrl;
  }

  public Integer getPort() {
    return port;
  }

  public void setPort(Integer port) {
    this.port = port;
  }

  public List<String> getServices() {
    return services;
  }

  public void setServices(List<String> services) {
    this.services = services;
  }

  public List<String> getModels() {
    return models;
  }

  public void setModels(List<String> models) {
    this.models = models;
  }

  public WorkerMode getMode() {
    return mode;
  }

  public void setMode(WorkerMode mode) {
    this.mode = mode;
  }

  public Boolean getDrain() {
    return drain;
  }

  public void setDrain(Boolean drain) {
    this.drain = drain;
  }

  /** True when an operator asked the worker to drain. */
  public boolean draining() {
    return Boolean.TRUE.equals(drain);
  }
}
