import type { ServiceLookup } from "../core/service.js";

/**
 * A run-scoped service (services/<name>.ts): something a run needs for its duration, declared by the
 * document, started by the session in order, handed by name to the kinds that ask for it, stopped in
 * reverse on every exit path (rollbacks included: they run before the session stops it).
 */
export interface Service<Config = unknown, Handle = unknown> {
  /** The name kinds ask for: `ctx.services.get<Handle>(name)`. */
  readonly name: string;
  /** One line: what the service provides to fault and probe kinds. */
  readonly provides: string;
  /**
   * The service's configuration from a document's spec, substituted with the run's configuration and
   * secrets; undefined when the document does not declare it.
   */
  declared(spec: unknown, scopes: Record<string, unknown>[]): Config | undefined;
  /** Starts it; a user's mistake (a port in use) throws a ConfigError naming the document. */
  start(config: Config, ctx: { file: string }): Promise<RunningService<Handle>>;
}

export interface RunningService<Handle = unknown> {
  readonly handle: Handle;
  /** Stops it; calling it again does nothing. */
  stop(): Promise<void>;
}

/** Lets a module declare a service with its own types and register it beside the others. */
export function defineService<C, H>(service: Service<C, H>): Service {
  return service as unknown as Service;
}

/** The running services of one run, by name, in the order they started. */
export class ServiceSet implements ServiceLookup {
  private readonly running = new Map<string, RunningService>();

  get<T>(name: string): T | undefined {
    return this.running.get(name)?.handle as T | undefined;
  }

  names(): string[] {
    return [...this.running.keys()];
  }

  /** Starts each declared service in order; on a failure stops those already started, then throws. */
  async start(
    services: readonly Service[],
    spec: unknown,
    scopes: Record<string, unknown>[],
    file: string,
  ): Promise<void> {
    for (const s of services) {
      const config = s.declared(spec, scopes);
      if (config === undefined) continue;
      try {
        this.running.set(s.name, await s.start(config, { file }));
      } catch (err) {
        await this.stop();
        throw err;
      }
    }
  }

  /** Stops every running service in reverse order of start, each even if an earlier one failed. Idempotent. */
  async stop(): Promise<void> {
    const all = [...this.running.values()].reverse();
    this.running.clear();
    let first: unknown;
    for (const r of all) {
      try {
        await r.stop();
      } catch (err) {
        first ??= err;
      }
    }
    if (first !== undefined) throw first;
  }
}
