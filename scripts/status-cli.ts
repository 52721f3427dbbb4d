import { parseArgs } from 'node:util';
import type { TrafficWindow } from '../proxy/src/status/snapshot.ts';
import { fetchSnapshot, StatusCliError } from './lib-status/fetch-snapshot.ts';
import { formatLiveStatus } from './lib-status/live-table.ts';

/**
 * `npm run status`: the running proxy's status API as a table in the terminal.
 *   STATUS_URL       the proxy (default http://localhost:8080)
 *   STATUS_TOKEN     the proxy's STATUS_TOKEN (sent as `Authorization: Bearer ...`)
 *   RESERVED_PREFIX  the proxy's reserved prefix (default /_proxy)
 * Exit codes: 0 printed, 1 the proxy could not be asked or did not answer as expected, 2 bad arguments.
 */
const WINDOWS: readonly TrafficWindow[] = ['hour', 'day', 'week'];
const USAGE = `usage: npm run status [-- --window hour|day|week]
  env: STATUS_URL (default http://localhost:8080), STATUS_TOKEN, RESERVED_PREFIX (default /_proxy)`;

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  let window: TrafficWindow;
  try {
    const { values } = parseArgs({ args: argv, options: { window: { type: 'string', default: 'hour' } } });
    if (!WINDOWS.includes(values.window as TrafficWindow)) throw new Error(`--window must be one of ${WINDOWS.join(', ')}`);
    window = values.window as TrafficWindow;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }

  const baseUrl = env.STATUS_URL || 'http://localhost:8080';
  try {
    const snapshot = await fetchSnapshot({ baseUrl, prefix: env.RESERVED_PREFIX || '/_proxy', token: env.STATUS_TOKEN || undefined });
    process.stdout.write(formatLiveStatus(snapshot, baseUrl, window));
    return 0;
  } catch (err) {
    if (!(err instanceof StatusCliError)) throw err;
    process.stderr.write(`npm run status: ${err.message}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2), process.env);
