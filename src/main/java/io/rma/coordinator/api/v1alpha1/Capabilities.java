package io.rma.coordinator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/**
 * Hardware the worker reported, as the worker wrote it (e.g. {@code "31.2GB"}, {@code "24564MB"}).
 * Sizes are kept as declared; the control plane parses them with real units when it tiers the
 * worker.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class Capabilities {
  @JsonPropertyDescription("Number of CPU cores.")
  private Integer cpuCores;

  @JsonPropertyDescription("Memory as reported, e.g. \"31.2GB\" or \"16 GiB\".")
  private String ram;

  @JsonPropertyDescription(
      "GPU model, e.g. \"NVIDIA RTX 4090\"; absent when the worker has no GPU.")
  private String gpuType;

  @JsonPropertyDescription("GPU memory as reported, e.g. \"24564MB\".")
  private String gpuMemory;

  @JsonPropertyDescription("Disk as reported, e.g. \"1TB\".")
  private String storage;

  @JsonPropertyDescription("Network bandwidth as reported.")
  private String networkBandwidth;

  public Integer getCpuCores() {
    return cpuCores;
  }

  public void setCpuCores(Integer cpuCores) {
    this.cpuCores = cpuCores;
  }

  public String getRam() {
    return ram;
  }

  public void setRam(String ram) {
    this.ram = ram;
  }

  public String getGpuType() {
    return gpuType;
  }

  public void setGpuType(String gpuType) {
    this.gpuType = gpuType;
  }

  public String getGpuMemory() {
    return gpuMemory;
  }

  public void setGpuMemory(String gpuMemory) {
    this.gpuMemory = gpuMemory;
  }

  public String getStorage() {
    return storage;
  }

  public void setStorage(String storage) {
    this.storage = storage;
  }

  public String getNetworkBandwidth() {
    return networkBandwidth;
  }

  public void setNetworkBandwidth(String networkBandwidth) {
    this.networkBandwidth = networkBandwidth;
  }
}
