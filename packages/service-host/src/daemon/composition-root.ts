import type { Logger } from '@riskd/core-engine';
import { container as rootContainer, type DependencyContainer, type InjectionToken } from 'tsyringe';
import { describeError, MissingTokenError, StartupError } from './host-errors.js';

/**
 * A part of the daemon: it registers what it provides on the container, and may start and stop.
 * Modules start in the order they were added and stop in reverse.
 */
export interface HostModule {
  readonly name: string;
  register(container: DependencyContainer): void;
  start?(container: DependencyContainer): Promise<void> | void;
  stop?(container: DependencyContainer): Promise<void> | void;
}

/** A token the daemon cannot run without, and the module that should have registered it. */
export interface RequiredToken {
  readonly token: InjectionToken<unknown>;
  readonly name: string;
  readonly providedBy: string;
}

/**
 * The composition root: a child container of tsyringe's root (never the root itself), the
 * instances registered first (config, logger, clock), then the modules; a check that every
 * required token is registered, with an actionable message; start in order and stop in reverse.
 * A module that fails to start stops the ones already started and fails with a
 * {@link StartupError} naming it and the cause.
 */
export class CompositionRoot {
  readonly container: DependencyContainer;
  private readonly modules: HostModule[] = [];
  private readonly started: HostModule[] = [];

  constructor(
    private readonly logger: Logger,
    parent: DependencyContainer = rootContainer,
  ) {
    this.container = parent.createChildContainer();
  }

  /** Registers a ready instance under a token. */
  instance<T>(token: InjectionToken<T>, value: T): this {
    this.container.register(token, { useValue: value });
    return this;
  }

  /** Adds a module and registers it at once (modules may resolve what earlier ones registered). */
  use(module: HostModule): this {
    try {
      module.register(this.container);
    } catch (err) {
      throw new StartupError(module.name, err);
    }
    this.modules.push(module);
    return this;
  }

  /** Throws a {@link MissingTokenError} listing every required token that is not registered. */
  check(required: readonly RequiredToken[]): void {
    const missing = required.filter((r) => !this.container.isRegistered(r.token, true));
    if (missing.length > 0)
      throw new MissingTokenError(missing.map((m) => ({ token: m.name, providedBy: m.providedBy })));
  }

  resolve<T>(token: InjectionToken<T>): T {
    return this.container.resolve(token);
  }

  /** Starts every module in order. */
  async start(): Promise<void> {
    for (const module of this.modules) {
      const started = performance.now();
      try {
        await module.start?.(this.container);
      } catch (err) {
        this.logger.error({ err, module: module.name }, `module ${module.name} failed to start`);
        await this.stop();
        throw new StartupError(module.name, err);
      }
      this.started.push(module);
      this.logger.debug(
        { module: module.name, ms: Math.round(performance.now() - started) },
        'module started',
      );
    }
  }

  /** Stops the started modules in reverse order; a module that fails to stop is logged and skipped. */
  async stop(): Promise<void> {
    while (this.started.length > 0) {
      const module = this.started.pop() as HostModule;
      try {
        await module.stop?.(this.container);
        this.logger.debug({ module: module.name }, 'module stopped');
      } catch (err) {
        this.logger.error(
          { err, module: module.name },
          `module ${module.name} failed to stop: ${describeError(err)}`,
        );
      }
    }
  }

  /** Names of the modules, in start order. */
  moduleNames(): string[] {
    return this.modules.map((m) => m.name);
  }
}
