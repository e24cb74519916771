package io.rma.coordinator.routing;

/**
 * What routing decisions know of one request: the service that serves it and the model asked for
 * (null: any).
 */
public record RouteRequest(String service, String model) {}
