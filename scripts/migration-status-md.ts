import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { lineDiffHint } from './lib-status/line-diff.ts';
import { renderStatusMarkdown } from './lib-status/render-status-md.ts';
import { buildStatusModel } from './lib-status/status-model.ts';
import { readStatusInputs, REPO_ROOT } from './lib-status/status-inputs.ts';

/**
 * `npm run status:md` writes migration-status.md from the route declarations, the flags
 * file and AUTH_CUTOFF; `-- --check` compares instead and exits 1 when the file is stale.
 * Starts no server and no flags client: it reads the files and is done.
 *
 * Exit codes: 0 written or fresh, 1 stale (or missing), 2 the inputs or arguments are wrong.
 */
const USAGE = `usage: npm run status:md [-- --check] [-- --file <path>]
  --check        compare the file with what the declarations and flags give; exit 1 when stale
  --file <path>  the file to write or check (default: migration-status.md at the repository root)
Inputs (as the proxy reads them): MIGRATED_ROUTES_DIR, FLAGS_FILE, AUTH_CUTOFF, RESERVED_PREFIX.`;

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  let options: { check: boolean; file: string };
  try {
    const { values } = parseArgs({ args: argv, options: { check: { type: 'boolean', default: false }, file: { type: 'string' } } });
    options = { check: values.check, file: path.resolve(values.file ?? path.join(REPO_ROOT, 'migration-status.md')) };
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }

  let expected: string;
  try {
    expected = renderStatusMarkdown(buildStatusModel(await readStatusInputs(env)));
  } catch (err) {
    process.stderr.write(`migration-status.md cannot be generated:\n${(err as Error).message}\n`);
    return 2;
  }
  const relative = path.relative(process.cwd(), options.file);
  const name = relative && !relative.startsWith('..') ? relative : options.file;

  if (!options.check) {
    await writeFile(options.file, expected);
    process.stdout.write(`wrote ${name}\n`);
    return 0;
  }

  const committed = await readFile(options.file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw err;
  });
  if (committed === null) {
    process.stderr.write(`${name} does not exist. Run \`npm run status:md\` and commit it.\n`);
    return 1;
  }
  if (committed === expected) {
    process.stdout.write(`${name} is up to date.\n`);
    return 0;
  }
  process.stderr.write(
    `${name} is stale: it does not match the route declarations, the flags file and AUTH_CUTOFF.\n` +
      'Run `npm run status:md` and commit the result.\n\n' +
      `What differs (- in ${name}, + regenerated):\n` +
      lineDiffHint(committed, expected)
        .map((l) => `  ${l}`)
        .join('\n') +
      '\n',
  );
  return 1;
}

process.exitCode = await main(process.argv.slice(2), process.env);
