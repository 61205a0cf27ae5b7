import { spawn } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from './services.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * One of the project's command-line tools (`server/src/cli/<name>.ts`) run as
 * an operator runs it, from the sources, with `env` on top of this process's
 * and `stdin` on its standard input.
 */
export function runCli(name: string, args: string[], env: Record<string, string>, stdin = ''): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, `server/src/cli/${name}.ts`), ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, TSX_TSCONFIG_PATH: path.join(REPO_ROOT, 'test/tsconfig.json'), LIFELINE_DEMO: '', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.once('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(stdin);
  });
}
