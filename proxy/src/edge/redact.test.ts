import { describe, expect, it } from 'vitest';
import { isSecretName, redactUrl } from './redact.ts';

const JWT = 'eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJ1LW9sYSJ9.c2lnbmF0dXJlLWJ5dGVz';

describe('which parameter names are secret', () => {
  it('the names the issue found logged as sent', () => {
    for (const name of ['jwt', 'api-key', 'authorization', 'sessionid']) expect(isSecretName(name), name).toBe(true);
  });

  it('any name containing a secret stem, whatever its case, separators or escapes', () => {
    const secret = [
      'token', 'access_token', 'refresh-token', 'id_token_hint', 'X-Amz-Security-Token', 'oauth_token',
      'key', 'apiKey', 'API_KEY', 'x.api.key', 'api%2Dkey', 'private_key',
      'secret', 'client_secret', 'password', 'passwd', 'new-pwd', 'passphrase', 'passcode',
      'auth', 'Authorization', 'auth_token', 'session', 'sessionId', 'session_id', 'PHPSESSID', 'JSESSIONID',
      'jwt', 'id_jwt', 'code', 'code_verifier', 'otp', 'totp', 'nonce', 'state', 'RelayState', 'challenge',
      'client_assertion', 'signature', 'X-Amz-Signature', 'X-Goog-Signature', 'X-Amz-Credential', 'credentials',
      'cookie', 'bearer', 'ticket', 'SAMLRequest', 'SAMLResponse', 'hash', 'hmac', 'salt', 'csrf_token', 'xsrf',
      '%61ccess_token', 'access+token',
    ];
    for (const name of secret) expect(isSecretName(name), name).toBe(true);
  });

  it('short stems count only as a whole word of the name', () => {
    for (const name of ['sig', 'sid', 'SID', 'sess', 'pass', 'pw', 'pin', 'cred', 'userSig', 'user_sid', 'sess-id']) expect(isSecretName(name), name).toBe(true);
    for (const name of ['assignmentId', 'assessmentId', 'side', 'design', 'passenger', 'mapping', 'residents']) expect(isSecretName(name), name).toBe(false);
  });

  it('ordinary names stay readable', () => {
    for (const name of ['lang', 'userId', 'orgId', 'courseIds', 'limit', 'page', 'sort', 'q', 'x', 'returnUrl', 'window', 'max', 'drop-me']) {
      expect(isSecretName(name), name).toBe(false);
    }
  });

  it('the accepted price: some harmless names that contain a stem are redacted too', () => {
    for (const name of ['keyword', 'monkey', 'author', 'zipcode', 'courseCode', 'statement', 'hashtag']) expect(isSecretName(name), name).toBe(true);
  });
});

describe('redactUrl', () => {
  it('replaces the values of secret query parameters, the rest as sent', () => {
    expect(redactUrl('/api/x?jwt=a.b.c&api-key=K1&authorization=Bearer%20T&sessionid=S1&lang=nb')).toBe(
      '/api/x?jwt=[REDACTED]&api-key=[REDACTED]&authorization=[REDACTED]&sessionid=[REDACTED]&lang=nb',
    );
    expect(redactUrl('/cb?code=abc&state=xyz&x=1&code=again&flag&empty=')).toBe('/cb?code=[REDACTED]&state=[REDACTED]&x=1&code=[REDACTED]&flag&empty=');
    expect(redactUrl('/q?a=1;token=t;b=2')).toBe('/q?a=1;token=[REDACTED];b=2');
    expect(redactUrl('/q?API%2DKEY=k&b=x%3Dy')).toBe('/q?API%2DKEY=[REDACTED]&b=x%3Dy');
  });

  it('replaces a JWT anywhere: under any name, and in the path', () => {
    expect(redactUrl(`/api/x?next=${JWT}&lang=nb`)).toBe('/api/x?next=[REDACTED]&lang=nb');
    expect(redactUrl(`/reset/${JWT}/confirm`)).toBe('/reset/[REDACTED]/confirm');
    const jwe = 'eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..aXYtYnl0ZXM.Y2lwaGVydGV4dA.dGFn';
    expect(redactUrl(`/r?x=${jwe}`)).toBe('/r?x=[REDACTED]');
  });

  it('replaces secret ;path parameters (jsessionid) up to the next segment', () => {
    expect(redactUrl('/api/x;jsessionid=ABC123/y;v=2?x=1')).toBe('/api/x;jsessionid=[REDACTED]/y;v=2?x=1');
  });

  it("replaces the user information of an absolute URL (a request refused before it was made origin-form)", () => {
    expect(redactUrl('http://user:pw@frontend.example/api/echo/x?token=t')).toBe('http://[REDACTED]@frontend.example/api/echo/x?token=[REDACTED]');
    expect(redactUrl('http://frontend.example/api/x')).toBe('http://frontend.example/api/x');
  });

  it('leaves a URL with nothing secret as it is', () => {
    for (const url of ['/', '/api/courses/c-101', '/api/sessions?courseIds=c-101,c-102&limit=3', '*', '/a%2Fb//c/./d?x=1&x=2&q=%zz']) {
      expect(redactUrl(url)).toBe(url);
    }
  });
});
