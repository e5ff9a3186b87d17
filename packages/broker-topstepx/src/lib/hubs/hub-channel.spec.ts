import { NullLogger } from '@microsoft/signalr';
import { describe, expect, it } from 'vitest';
import { TolerantJsonHubProtocol, frameForLog, hubUrlWithToken } from './hub-channel.js';

describe('TolerantJsonHubProtocol', () => {
  it('when a frame holds a broken record between two good ones then the good ones survive', () => {
    const skipped: string[] = [];
    const protocol = new TolerantJsonHubProtocol((raw) => skipped.push(raw));
    const frame =
      '{"type":1,"target":"GatewayQuote","arguments":["C",{"lastPrice":1}]}\x1e{not json\x1e{"type":6}\x1e';
    const messages = protocol.parseMessages(frame, NullLogger.instance);
    expect(messages.map((m) => m.type)).toEqual([1, 6]);
    expect(skipped).toEqual(['{not json']);
    expect(protocol.lastFrame).toBe(frame);
  });

  it('when every record is valid then nothing is skipped', () => {
    const skipped: string[] = [];
    const protocol = new TolerantJsonHubProtocol((raw) => skipped.push(raw));
    expect(protocol.parseMessages('{"type":6}\x1e{"type":6}\x1e', NullLogger.instance)).toHaveLength(2);
    expect(skipped).toEqual([]);
  });
});

describe('hub URLs and frame logging', () => {
  it('when a token is present then it is appended as access_token', () => {
    expect(hubUrlWithToken('http://h/hubs/user', 'a b')).toBe('http://h/hubs/user?access_token=a%20b');
    expect(hubUrlWithToken('http://h/hubs/user?x=1', 't')).toBe('http://h/hubs/user?x=1&access_token=t');
  });

  it('when a frame is logged then separators are visible and tokens are redacted', () => {
    expect(frameForLog('{"a":"Bearer xyz"}\x1e')).toBe('{"a":"Bearer [redacted]"}\\u001e');
  });
});
