import { describe, it, expect } from 'vitest';
import type { IncomingMessage } from 'node:http';
import { normaliseTarget } from './request-target.ts';

function request(method: string, url: string, host = 'proxy.example:8080'): IncomingMessage {
  return { method, url, headers: { host } } as unknown as IncomingMessage;
}

describe('normaliseTarget', () => {
  it('leaves an origin-form target alone, byte for byte', () => {
    const req = request('GET', '/api//a%2Fb/./c?x=1&x=2');
    expect(normaliseTarget(req)).toBeUndefined();
    expect(req.url).toBe('/api//a%2Fb/./c?x=1&x=2');
    expect(req.headers.host).toBe('proxy.example:8080');
  });

  it('takes path and query from an absolute-form target as sent, and its authority as the Host', () => {
    const cases: Array<[string, string, string]> = [
      ['http://legacy.example/api//a%2Fb/./c?x=1&x=2', '/api//a%2Fb/./c?x=1&x=2', 'legacy.example'],
      ['HTTPS://Legacy.Example:8443/api/x', '/api/x', 'Legacy.Example:8443'],
      ['http://[::1]:4000', '/', '[::1]:4000'],
      ['http://h?q=1', '/?q=1', 'h'],
    ];
    for (const [target, url, host] of cases) {
      const req = request('GET', target);
      expect(normaliseTarget(req), target).toBeUndefined();
      expect({ url: req.url, host: req.headers.host }).toEqual({ url, host });
    }
  });

  it('leaves the * of a server-wide OPTIONS alone, and refuses it for any other method', () => {
    const options = request('OPTIONS', '*');
    expect(normaliseTarget(options)).toBeUndefined();
    expect(options.url).toBe('*');
    expect(normaliseTarget(request('GET', '*'))).toMatch(/OPTIONS only/);
  });

  it('names what is wrong with a target it cannot route, and changes nothing', () => {
    const cases: Array<[string, RegExp]> = [
      ['ftp://h/x', /neither a path/],
      ['api/x', /neither a path/],
      ['http://user:pw@h/x', /user information/],
      ['http:///x', /valid host/],
      ['http://[::1/x', /valid host/],
      ['http://h#frag', /fragment/],
    ];
    for (const [target, problem] of cases) {
      const req = request('GET', target);
      expect(normaliseTarget(req), target).toMatch(problem);
      expect({ url: req.url, host: req.headers.host }).toEqual({ url: target, host: 'proxy.example:8080' });
    }
  });
});
