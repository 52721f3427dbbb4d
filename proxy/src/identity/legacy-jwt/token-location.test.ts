import http, { type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from '../../../../test-support/raw-http.ts';
import { checkRequestHead } from '../../edge/request-head.ts';
import type { Caller } from '../../routing/route.ts';
import { createLegacyCredentials } from './legacy-credentials.ts';
import type { LegacyTokenMinter } from './mint-legacy-token.ts';
import { createTokenLocation, type TokenLocationSpec } from './token-location.ts';

const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;

describe('where the legacy token travels', () => {
  it('Authorization schemes: any listed scheme, in any case; others are not ours; a scheme without a token is malformed', () => {
    const at = createTokenLocation({ kind: 'authorization', schemes: ['Token', 'Bearer'] });
    expect(at.read(req({ authorization: 'Token abc.def.ghi' }))).toBe('abc.def.ghi');
    expect(at.read(req({ authorization: 'bearer   abc' }))).toBe('abc');
    expect(at.read(req({ authorization: 'Basic dTpw' }))).toBeUndefined();
    expect(at.read(req({}))).toBeUndefined();
    for (const bad of ['Token', 'Token  ', 'Token a b', 'Token a,b', `Token ${'x'.repeat(9000)}`]) expect(at.read(req({ authorization: bad }))).toBeNull();
    expect(at.carries(req({ authorization: 'TOKEN x' }))).toBe(true);
    expect(at.carries(req({ authorization: 'Token' }))).toBe(true);
    expect(at.carries(req({ authorization: 'Tokens x' }))).toBe(false);
    expect(at.carries(req({ authorization: 'Basic x' }))).toBe(false);
    expect(at.asSent(req({ authorization: 'token abc', cookie: 'a=b' }))).toEqual({ authorization: 'token abc' });
    expect(at.fieldFor('minted')).toEqual({ authorization: 'Token minted' });
  });

  it('a header of its own: the value alone; a repeated field (joined by Node) is no token', () => {
    const at = createTokenLocation({ kind: 'header', name: 'x-auth-token' });
    expect(at.read(req({ 'x-auth-token': ' abc ' }))).toBe('abc');
    expect(at.read(req({ 'x-auth-token': 'abc, def' }))).toBeNull();
    expect(at.read(req({ authorization: 'Bearer abc' }))).toBeUndefined();
    expect(at.carries(req({ 'x-auth-token': '' }))).toBe(true);
    expect(at.asSent(req({ 'x-auth-token': 'abc', authorization: 'Basic x' }))).toEqual({ 'x-auth-token': 'abc' });
    expect(at.fieldFor('minted')).toEqual({ 'x-auth-token': 'minted' });
  });

  it('a cookie: the first of that name, unquoted; other cookies are not the token', () => {
    const at = createTokenLocation({ kind: 'cookie', name: 'jwt' });
    expect(at.read(req({ cookie: 'theme=dark; jwt=abc; jwt=older' }))).toBe('abc');
    expect(at.read(req({ cookie: 'jwt="abc"' }))).toBe('abc');
    expect(at.read(req({ cookie: 'xjwt=abc; jwtx=abc' }))).toBeUndefined();
    expect(at.read(req({ cookie: 'jwt=' }))).toBeNull();
    expect(at.carries(req({ cookie: 'theme=dark; jwt=abc' }))).toBe(true);
    expect(at.carries(req({ cookie: 'xjwt=abc' }))).toBe(false);
    expect(at.asSent(req({ cookie: 'theme=dark; jwt=abc' }))).toEqual({ cookie: 'jwt=abc' });
  });
});

/**
 * A session caller's request as the catch-all will forward it: the minted token where the
 * legacy API reads it, and none of the client's credential fields. Real requests over
 * loopback, with the edge's head check, so repeated fields are as Node parses them.
 */
describe('a session caller\'s credentials, rewritten for the legacy API', () => {
  const ada: Caller = { userId: 'u-42', roles: [], via: 'session' };
  const minter: LegacyTokenMinter = { tokenFor: async () => 'MINTED', publicJwk: async () => undefined };
  let server: http.Server;
  let port: number;
  let spec: TokenLocationSpec;

  beforeAll(async () => {
    server = http.createServer(async (req, res) => {
      checkRequestHead(req, 256);
      await createLegacyCredentials(minter, 'sp_session', createTokenLocation(spec)).applySession(req, ada);
      // What the catch-all reads: the folded headers, and each repeated field's copies.
      const repeated = Object.fromEntries(Object.entries(req.headersDistinct).filter(([, v]) => v!.length > 1));
      res.end(JSON.stringify({ headers: req.headers, repeated }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  async function forwarded(location: TokenLocationSpec, headers: Array<[string, string]>) {
    spec = location;
    const res = await rawRequest({ port, path: '/', headers: headers.flat() });
    return JSON.parse(res.body.toString()) as { headers: Record<string, string>; repeated: Record<string, string[]> };
  }

  it('Authorization scheme: the minted token in the first scheme; the client\'s Authorization and Proxy-Authorization gone', async () => {
    const { headers } = await forwarded({ kind: 'authorization', schemes: ['Token', 'Bearer'] }, [
      ['authorization', 'Bearer forged'],
      ['proxy-authorization', 'Basic eDp5'],
      ['cookie', 'theme=dark; sp_session=s%3Aabc'],
    ]);
    expect(headers.authorization).toBe('Token MINTED');
    expect(headers).not.toHaveProperty('proxy-authorization');
    expect(headers.cookie).toBe('theme=dark');
  });

  it('a header: the minted token alone in it, even when the client sent it twice; the client\'s Authorization gone', async () => {
    const { headers, repeated } = await forwarded({ kind: 'header', name: 'x-auth-token' }, [
      ['x-auth-token', 'forged-1'],
      ['x-auth-token', 'forged-2'],
      ['authorization', 'Bearer forged'],
      ['cookie', 'sp_session=s%3Aabc'],
    ]);
    expect(headers['x-auth-token']).toBe('MINTED');
    expect(repeated).not.toHaveProperty('x-auth-token');
    expect(headers).not.toHaveProperty('authorization');
    expect(headers).not.toHaveProperty('cookie');
  });

  it('a cookie: every client copy of it and our session cookie out, the minted one in, the other cookies kept', async () => {
    const { headers } = await forwarded({ kind: 'cookie', name: 'jwt' }, [
      ['cookie', 'jwt=forged; theme=dark; sp_session=s%3Aabc; jwt=forged-2; lang=nb'],
      ['authorization', 'Token forged'],
    ]);
    expect(headers.cookie).toBe('theme=dark; lang=nb; jwt=MINTED');
    expect(headers).not.toHaveProperty('authorization');
  });

  it('the fields a migrated handler sends: the legacy caller\'s own as sent, a session caller\'s minted', async () => {
    const credentials = createLegacyCredentials(minter, 'sp_session', createTokenLocation({ kind: 'cookie', name: 'jwt' }));
    const legacyCaller: Caller = { ...ada, via: 'legacy-jwt' };
    expect(await credentials.headersFor(legacyCaller, req({ cookie: 'theme=dark; jwt=theirs' }))).toEqual({ cookie: 'jwt=theirs' });
    expect(await credentials.headersFor(ada, req({ cookie: 'sp_session=x' }))).toEqual({ cookie: 'jwt=MINTED' });
  });
});
