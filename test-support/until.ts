/**
 * Polls `check` every 50 ms until it holds; throws after `timeoutMs` (a test's way to wait
 * for something asynchronous without a fixed sleep).
 */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 2_500): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
