/**
 * The time as .NET's System.Text.Json writes a DateTime: seven fractional digits
 * (100 ns ticks). The legacy API stamps its home screen this way, and the
 * precision matters to the proxy: a shadow comparison asks for two legacy answers
 * at once, and a millisecond stamp would often be the same in both, so the noise
 * would go unlearned.
 */
const wallAtStartNs = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();

export function preciseIsoNow(): string {
  const ns = wallAtStartNs + process.hrtime.bigint();
  const ms = ns / 1_000_000n;
  const ticksWithinMs = (ns % 1_000_000n) / 100n;
  return new Date(Number(ms)).toISOString().replace('Z', `${ticksWithinMs.toString().padStart(4, '0')}Z`);
}
