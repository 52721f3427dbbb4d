import { runOpenLoop, type OpenLoopOptions } from './generator.ts';

/**
 * The open-loop generator as its own process, so its event loop never shares a core's
 * time slice with the runner's bookkeeping. Options as JSON in argv[2]; result as one JSON line.
 */
const options = JSON.parse(process.argv[2] ?? '{}') as OpenLoopOptions;
const result = await runOpenLoop(options);
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
