import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import jwt from 'jsonwebtoken';
import { call } from '../test-client.ts';
import { startConduitStub, type ConduitStub } from './server.ts';

const asToken = (token: string) => ({ authorization: `Token ${token}` });

describe('Conduit stand-in with opaque tokens', () => {
  let stub: ConduitStub;
  beforeAll(async () => {
    stub = await startConduitStub({ quiet: true, tokens: 'opaque' });
  });
  afterAll(() => stub.close());

  it('signs in with a random token that is no JWT, and says whom it names only through GET /api/user', async () => {
    const login = await call(stub.url, '/api/users/login', { json: { user: { email: 'ingrid@conduit.example', password: 'password' } } });
    expect(login.status).toBe(200);
    const { token } = login.body.user;
    expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(jwt.decode(token)).toBeNull();
    expect(stub.issueToken('ingrid')).not.toBe(token);

    const me = await call(stub.url, '/api/user', { headers: asToken(token) });
    expect(me.status).toBe(200);
    expect(me.body).toEqual({ user: { email: 'ingrid@conduit.example', token, username: 'ingrid', bio: expect.any(String), image: expect.any(String) } });
  });

  it('refuses unknown, expired and revoked tokens, and JWTs signed with its secret', async () => {
    const revoked = stub.issueToken('ola');
    expect((await call(stub.url, '/api/user', { headers: asToken(revoked) })).status).toBe(200);
    stub.revokeToken(revoked);
    const jake = stub.users.find((u) => u.username === 'jake')!;
    const refused = {
      revoked,
      unknown: 'bm90LWEtdG9rZW4tdGhpcy1zZXJ2ZXItaXNzdWVk',
      expired: stub.issueToken('jake', { expiresInSec: -1 }),
      'a JWT': jwt.sign({ id: jake.id, username: 'jake' }, stub.secret, { algorithm: 'HS256', expiresIn: 300 }),
    };
    for (const [why, token] of Object.entries(refused)) {
      const res = await call(stub.url, '/api/user', { headers: asToken(token) });
      expect(res.status, why).toBe(401);
      expect(res.body, why).toEqual({ errors: { body: ['unauthorized'] } });
    }
  });

  it('accepts an opaque token everywhere a JWT would do', async () => {
    const res = await call(stub.url, '/api/articles/welcome-to-conduit-3f9a1c/favorite', { method: 'POST', headers: asToken(stub.issueToken('jake')) });
    expect(res.status).toBe(200);
    expect(res.body.article.favorited).toBe(true);
  });

  it('records the introspection calls it answers, token and all', async () => {
    const token = stub.issueToken('ola');
    const before = stub.received.length;
    await call(stub.url, '/api/user', { headers: asToken(token) });
    await call(stub.url, '/api/user', { headers: asToken(token) });
    const calls = stub.received.slice(before).filter((r) => r.url === '/api/user');
    expect(calls).toHaveLength(2);
    expect(calls[0]!.rawHeaders).toContain(`Token ${token}`);
  });
});
