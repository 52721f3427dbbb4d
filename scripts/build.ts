import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * `npm run build [-- --out-dir DIR]`: compiles the proxy, the migrated routes and the legacy
 * stand-in (tsconfig.build.json) and copies beside them the files they read by path at run
 * time (page assets, the stand-in's frontend, proxy/flags.json), so `node DIR/proxy/src/main.js`
 * runs exactly as `tsx proxy/src/main.ts` does. The output folder is emptied first: a route
 * file deleted from migrated-routes/ must not live on in the build and keep being mounted.
 */
const root = fileURLToPath(new URL('..', import.meta.url));
const SOURCES = ['proxy', 'migrated-routes', 'legacy-stub'];
/** Compiled by tsc, or documentation: everything else in SOURCES is a run-time asset. */
const NOT_ASSETS = /\.(ts|md)$/;

function outDirFromArgs(argv: readonly string[]): string {
  const i = argv.indexOf('--out-dir');
  if (i === -1) return path.join(root, 'dist');
  const dir = argv[i + 1];
  if (!dir) throw new Error('--out-dir needs a folder');
  return path.resolve(dir);
}

function copyAssets(from: string, to: string): number {
  let copied = 0;
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const source = path.join(from, entry.name);
    if (entry.isDirectory()) copied += copyAssets(source, path.join(to, entry.name));
    else if (!NOT_ASSETS.test(entry.name)) {
      mkdirSync(to, { recursive: true });
      cpSync(source, path.join(to, entry.name));
      copied++;
    }
  }
  return copied;
}

const outDir = outDirFromArgs(process.argv.slice(2));
if (path.resolve(outDir) === path.resolve(root)) throw new Error('--out-dir must not be the repository itself');
rmSync(outDir, { recursive: true, force: true });

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const compiled = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json'), '--outDir', outDir], { cwd: root, stdio: 'inherit' });
if (compiled.status !== 0) {
  process.stderr.write(`build: tsc failed (exit ${compiled.status ?? compiled.signal})\n`);
  process.exit(1);
}

let assets = 0;
for (const dir of SOURCES) assets += copyAssets(path.join(root, dir), path.join(outDir, dir));
// The compiled files are ES modules wherever the folder is copied to, package.json or not.
writeFileSync(path.join(outDir, 'package.json'), '{ "type": "module" }\n');
process.stdout.write(`build: ${path.relative(root, outDir) || outDir} (${assets} assets copied)\n`);
