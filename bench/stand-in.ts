import { startLegacyStub } from '../legacy-stub/src/server.ts';

/** The legacy stand-in as its own process, without its per-request log line. Env: PORT. */
const stub = await startLegacyStub({ port: Number(process.env.PORT), quiet: true });
process.stdout.write(`listening ${stub.url}\n`);
const stop = () => void stub.close().finally(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
