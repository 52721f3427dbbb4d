import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startStack, type Stack } from '../test-support/stack.ts';
import { sendUpload, sha256Of, uploadBlock, uploadBody } from '../test-support/uploads.ts';

/**
 * Concurrent large uploads reach the legacy API byte for byte, with the proxy's default
 * limits on: the stand-in hashes what it receives, and each hash must be the one sent. The
 * full-size run (50 x 100 MiB, with throughput against direct) is `npm run bench:uploads`.
 */
let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack?.stop());

describe('4 concurrent 8 MiB uploads through the proxy', () => {
  it('each arrives intact, whatever its framing', async () => {
    const block = uploadBlock();
    const framings = [{}, {}, { chunked: true }, { expectContinue: true }];
    const bodies = framings.map((_, i) => uploadBody(block, i, 8 * 1024 * 1024));
    const results = await Promise.all(bodies.map((body, i) => sendUpload({ port: stack.proxyPort, body, ...framings[i] })));
    results.forEach((result, i) => {
      expect(result.status, result.body).toBe(200);
      expect(JSON.parse(result.body)).toEqual({ bytes: bodies[i]!.bytes, sha256: sha256Of(bodies[i]!) });
    });
  });
});
