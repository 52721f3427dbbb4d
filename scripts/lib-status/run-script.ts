import { spawn } from 'node:child_process';
import { REPO_ROOT } from './status-inputs.ts';

export interface ScriptRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * For tests: runs a script as `npm run` would (tsx, from the repository root) with only
 * the given environment, and waits for it to exit on its own. A script that keeps a
 * handle open fails here instead of hanging CI.
 */
export function runScript(script: string, args: string[], env: Record<string, string>, timeoutMs = 20_000): Promise<ScriptRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} did not exit within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
