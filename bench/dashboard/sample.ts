/**
 * Single requests from the runner, with their bodies: the share of degraded answers under
 * load, and latencies where a closed loop cannot give them (the first request after a start).
 * Node's fetch keeps its connections alive, as the frontend's would.
 */

export interface Answer {
  status: number;
  body: string;
  ms: number;
}

export async function getDashboard(url: string, token: string): Promise<Answer> {
  const started = performance.now();
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  const body = await res.text();
  return { status: res.status, body, ms: performance.now() - started };
}

/** `count` requests, `concurrency` at a time, the tokens taken in turn. */
export async function sampleAnswers(url: string, tokens: string[], count: number, concurrency: number): Promise<Answer[]> {
  const answers: Answer[] = [];
  let next = 0;
  async function worker(): Promise<void> {
    while (next < count) {
      const token = tokens[next++ % tokens.length]!;
      answers.push(await getDashboard(url, token));
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return answers;
}
