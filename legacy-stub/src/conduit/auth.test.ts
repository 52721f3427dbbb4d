import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT, generateKeyPair } from 'jose';
import jwt from 'jsonwebtoken';
import { call } from '../test-client.ts';
import { CONDUIT_TOKEN_TTL_SEC, startConduitStub, type ConduitStub } from './server.ts';

const asToken = (token: string) => ({ authorization: `Token ${token}` });
const UNAUTHORIZED = { errors: { body: ['unauthorized'] } };

describe('Conduit stand-in: HS256 tokens in the Token scheme', () => {
  let stub: ConduitStub;
  beforeAll(async () => {
    stub = await startConduitStub({ quiet: true, secret: randomBytes(32).toString('hex') });
  });
  afterAll(() => stub.close());

  const jake = () => stub.users.find((u) => u.username === 'jake')!;
  const login = (user: unknown) => call(stub.url, '/api/users/login', { json: { user } });
  /** What another holder of the secret (the proxy) would mint: jose, not jsonwebtoken. */
  const mint = (claims: Record<string, unknown>, key: Uint8Array = new TextEncoder().encode(stub.secret)) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt().setExpirationTime('5m').sign(key);

  it('signs a seed user in by email with an HS256 token: id, username, exp; no iss, aud or kid', async () => {
    const res = await login({ email: 'jake@jake.jake', password: 'password' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      user: { email: 'jake@jake.jake', token: expect.any(String), username: 'jake', bio: 'I work at statefarm', image: expect.stringMatching(/^https:/) },
    });
    const { header, payload } = jwt.verify(res.body.user.token, stub.secret, { algorithms: ['HS256'], complete: true }) as jwt.Jwt & { payload: jwt.JwtPayload };
    expect(header).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(Object.keys(payload).sort()).toEqual(['exp', 'iat', 'id', 'username']);
    expect(payload).toMatchObject({ id: jake().id, username: 'jake' });
    expect(payload.exp! - payload.iat!).toBe(CONDUIT_TOKEN_TTL_SEC);
  });

  it('answers wrong or missing credentials with 422 and Conduit errors', async () => {
    for (const user of [{ email: 'jake@jake.jake', password: 'wrong' }, { email: 'nobody@conduit.example', password: 'password' }]) {
      const res = await login(user);
      expect(res.status).toBe(422);
      expect(res.body).toEqual({ errors: { 'email or password': ['is invalid'] } });
    }
    expect((await login({ email: ' ' })).body).toEqual({ errors: { email: ["can't be blank"], password: ["can't be blank"] } });
    const notJson = await call(stub.url, '/api/users/login', { method: 'POST', headers: { 'content-type': 'application/json' } });
    expect(notJson.status).toBe(422);
  });

  it('serves the current user for `Token <jwt>`, echoing the token', async () => {
    const token = stub.issueToken('ola');
    const res = await call(stub.url, '/api/user', { headers: asToken(token) });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user: { email: 'ola@conduit.example', token, username: 'ola', bio: null, image: null } });
  });

  it('answers 401 {errors:{body:["unauthorized"]}} without WWW-Authenticate, for no token and for the Bearer scheme', async () => {
    for (const headers of [{}, { authorization: `Bearer ${stub.issueToken('ola')}` }, { authorization: 'Token' }] as Record<string, string>[]) {
      const res = await call(stub.url, '/api/user', { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.headers.get('www-authenticate')).toBeNull();
      expect(res.body).toEqual(UNAUTHORIZED);
    }
  });

  it('accepts an HS256 token any holder of the secret minted: claim id, username optional', async () => {
    for (const claims of [{ id: jake().id }, { id: jake().id, username: 'jake' }]) {
      const res = await call(stub.url, '/api/user', { headers: asToken(await mint(claims)) });
      expect(res.status, JSON.stringify(claims)).toBe(200);
      expect(res.body.user.username).toBe('jake');
    }
  });

  it('refuses expired, forged, unsigned, RS256, exp-less and unknown-user tokens', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const refused = {
      expired: stub.issueToken('jake', { expiresInSec: -60 }),
      'another secret': await mint({ id: jake().id }, randomBytes(32)),
      'alg none': jwt.sign({ id: jake().id }, '', { algorithm: 'none', expiresIn: 300 }),
      RS256: await new SignJWT({ id: jake().id }).setProtectedHeader({ alg: 'RS256' }).setExpirationTime('5m').sign(privateKey),
      'no exp': jwt.sign({ id: jake().id }, stub.secret, { algorithm: 'HS256' }),
      'sub instead of id': await mint({ sub: jake().id }),
      'numeric id': await mint({ id: 1 }),
      'unknown id': await mint({ id: '000000000000000000000000' }),
      'username of another user': await mint({ id: jake().id, username: 'ingrid' }),
      'not a JWT': 'garbage',
    };
    for (const [why, token] of Object.entries(refused)) {
      const res = await call(stub.url, '/api/user', { headers: asToken(token) });
      expect(res.status, why).toBe(401);
      expect(res.body, why).toEqual(UNAUTHORIZED);
    }
  });

  it('lets anonymous callers read, but refuses a bad token even where anonymous would do', async () => {
    expect((await call(stub.url, '/api/articles')).status).toBe(200);
    const bad = await call(stub.url, '/api/articles', { headers: asToken('garbage') });
    expect(bad.status).toBe(401);
    expect(bad.body).toEqual(UNAUTHORIZED);
  });
});
