// The bench's upstream: test/fakes/fake-openai.ts in its own process, answering at once (no
// artificial delay). The request picks the answer's length: a last user message containing
// "chunks=N" gets N one-word chunks ("tok "), anything else a single chunk "ok".
//   node --import tsx bench/lib/fake-provider.ts   → prints its base URL on stdout
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { startFakeOpenAI } from '../../test/fakes/fake-openai';
import { isMain } from '../../test/fakes/fake-server';
import { repoRoot } from './report';

export interface FakeProviderProcess {
  url: string;
  pid: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts the fake in a child process (so it competes for CPU like a real remote server would not). */
export async function spawnFakeProvider(): Promise<FakeProviderProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'bench', 'lib', 'fake-provider.ts')], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('fake provider did not start within 30 s')), 30_000);
    readline.createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      resolve(line.trim());
    });
    void exited.then(() => reject(new Error('fake provider exited during start')));
  });
  child.stdout!.resume();
  return {
    url,
    pid: child.pid!,
    child,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

export function chunksFor(lastUser: string): string[] {
  const m = /chunks=(\d+)/.exec(lastUser);
  const n = m ? Math.max(1, Math.min(10_000, Number(m[1]))) : 1;
  return n === 1 && !m ? ['ok'] : Array.from({ length: n }, () => 'tok ');
}

if (isMain(import.meta.url)) {
  const fake = await startFakeOpenAI({
    delayMs: 0,
    reply: (body: { messages?: { role?: string; content?: unknown }[] }) => {
      const last = [...(body?.messages ?? [])].reverse().find((m) => m.role === 'user');
      return { kind: 'reply', chunks: chunksFor(typeof last?.content === 'string' ? last.content : '') };
    },
  });
  // The fake records every request; a benchmark sends tens of thousands: keep only the last few.
  setInterval(() => {
    if (fake.requests.length > 1000) fake.requests.splice(0, fake.requests.length - 100);
  }, 1000).unref();
  process.stdout.write(`${fake.url}\n`);
  const stop = () => void fake.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
