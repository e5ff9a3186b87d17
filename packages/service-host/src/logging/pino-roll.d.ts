// pino-roll ships no type declarations; this is the part of its API the daemon uses.
declare module 'pino-roll' {
  import type { DestinationStream } from 'pino';

  interface PinoRollOptions {
    file: string | (() => string);
    size?: string | number;
    frequency?: 'daily' | 'hourly' | number;
    extension?: string;
    symlink?: boolean;
    limit?: { count?: number; removeOtherLogFiles?: boolean };
    dateFormat?: string;
    mkdir?: boolean;
    sync?: boolean;
    mode?: number;
  }

  type RollStream = DestinationStream & {
    flush(cb?: (err?: Error) => void): void;
    end(): void;
    once(event: 'close' | 'finish' | 'error', listener: (...args: unknown[]) => void): void;
  };

  function build(options: PinoRollOptions): Promise<RollStream>;
  export default build;
}
