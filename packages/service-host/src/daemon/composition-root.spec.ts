import { MemoryLogger } from '@riskd/core-engine';
import type { InjectionToken } from 'tsyringe';
import { container as rootContainer } from 'tsyringe';
import { describe, expect, it } from 'vitest';
import { CompositionRoot, type HostModule } from './composition-root.js';
import { MissingTokenError, StartupError } from './host-errors.js';

const A: InjectionToken<string> = Symbol('A');
const B: InjectionToken<string> = Symbol('B');

function module(
  name: string,
  log: string[],
  options: { failStart?: boolean; failStop?: boolean } = {},
): HostModule {
  return {
    name,
    register: () => void log.push(`register ${name}`),
    start: async () => {
      log.push(`start ${name}`);
      if (options.failStart) throw new Error(`${name} cannot open its file`);
    },
    stop: async () => {
      log.push(`stop ${name}`);
      if (options.failStop) throw new Error(`${name} stop failed`);
    },
  };
}

describe('composition root', () => {
  it('when modules start then they start in order and stop in reverse', async () => {
    const log: string[] = [];
    const root = new CompositionRoot(new MemoryLogger())
      .use(module('storage', log))
      .use(module('broker', log))
      .use(module('engine', log));
    await root.start();
    await root.stop();
    expect(log).toEqual([
      'register storage',
      'register broker',
      'register engine',
      'start storage',
      'start broker',
      'start engine',
      'stop engine',
      'stop broker',
      'stop storage',
    ]);
  });

  it('when a module fails to start then the error names it and its cause, and the started ones stop', async () => {
    const log: string[] = [];
    const logger = new MemoryLogger();
    const root = new CompositionRoot(logger)
      .use(module('storage', log))
      .use(module('broker', log, { failStart: true }))
      .use(module('engine', log));
    const err = await root.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StartupError);
    expect((err as StartupError).module).toBe('broker');
    expect((err as StartupError).message).toBe(
      'module "broker" failed to start: broker cannot open its file',
    );
    expect((err as StartupError).code).toBe('HOST_STARTUP_FAILED');
    expect(log.slice(-3)).toEqual(['start storage', 'start broker', 'stop storage']);
    expect(logger.problems().map((l) => l.msg)).toEqual(['module broker failed to start']);
  });

  it('when a module fails to stop then the others still stop and the failure is logged', async () => {
    const log: string[] = [];
    const logger = new MemoryLogger();
    const root = new CompositionRoot(logger)
      .use(module('storage', log))
      .use(module('api', log, { failStop: true }));
    await root.start();
    await root.stop();
    expect(log.slice(-2)).toEqual(['stop api', 'stop storage']);
    expect(logger.problems()).toHaveLength(1);
  });

  it('when required tokens are missing then the check lists each with the module that provides it', () => {
    const root = new CompositionRoot(new MemoryLogger()).instance(A, 'a');
    expect(() =>
      root.check([
        { token: A, name: 'A', providedBy: 'instances' },
        { token: B, name: 'BrokerGateway', providedBy: 'broker' },
      ]),
    ).toThrow(MissingTokenError);
    try {
      root.check([{ token: B, name: 'BrokerGateway', providedBy: 'broker' }]);
    } catch (err) {
      expect((err as Error).message).toBe(
        'required services are not registered: BrokerGateway (register the broker module before starting)',
      );
    }
  });

  it('when instances are registered then they live on a child container, never the root one', () => {
    const root = new CompositionRoot(new MemoryLogger()).instance(A, 'value');
    expect(root.resolve(A)).toBe('value');
    expect(rootContainer.isRegistered(A, true)).toBe(false);
  });

  it('when a module fails to register then the error names it', () => {
    const root = new CompositionRoot(new MemoryLogger());
    const bad: HostModule = {
      name: 'rules',
      register: () => {
        throw new Error('pack not found');
      },
    };
    expect(() => root.use(bad)).toThrow('module "rules" failed to start: pack not found');
  });
});
