// Runs the built CLI or a TypeScript script as another uid (setpriv, so the test must run as root),
// to see the runtime dir and its files the way another local user's process sees them.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const gearboxBin = path.join(root, 'dist', 'daemon', 'gearbox.mjs');

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** True where this process may switch uids (root on a POSIX system). */
export function canSwitchUser(): boolean {
  return process.platform !== 'win32' && process.getuid?.() === 0;
}

function run(uid: number, argv: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  const args = [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--', process.execPath, ...argv];
  return new Promise((resolve) => {
    const child = execFile('setpriv', args, { env, cwd: root, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    child.stdin?.end();
  });
}

/** `gearbox ...args` from dist/ as `uid`. */
export function gearboxAs(uid: number, args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return run(uid, [gearboxBin, ...args], env);
}

/** A TypeScript file under the repository run through tsx as `uid`. */
export function scriptAs(uid: number, script: string, args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return run(uid, ['--import', 'tsx', path.join(root, script), ...args], env);
}
