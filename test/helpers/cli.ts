// The built CLI (dist/daemon/gearbox.mjs) as the tests run it: built once per suite, each run a child
// process with its own environment, answered with its exit code and output.
import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const cliBundle = path.join(root, 'dist', 'daemon', 'gearbox.mjs');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `npm run build`'s script: the suites that spawn the CLI test the bundle of this tree. */
export function buildBundles(): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const b = spawn(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });
    b.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`build failed: ${code}`))));
  });
}

export interface CliOptions {
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** Written to its stdin, which is then closed (closed at once without it). */
  stdin?: string;
  /** A hang guard: the child is killed after it. */
  timeoutMs?: number;
}

/** Runs `gearbox <args>` and resolves with how it ended (never rejects). */
export function runCli(args: readonly string[], opts: CliOptions): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [cliBundle, ...args],
      { env: opts.env, cwd: opts.cwd, timeout: opts.timeoutMs ?? 120_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(opts.stdin);
  });
}
