/**
 * What a fault or probe kind sees of the run-scoped services (fault proxies, the DNS server, a flag
 * server next): each is asked for by its name, never through a field of the generic context.
 */
export interface ServiceLookup {
  /** The running service's handle, or undefined when the run does not declare it. */
  get<T>(name: string): T | undefined;
}

export const NO_SERVICES: ServiceLookup = { get: () => undefined };
