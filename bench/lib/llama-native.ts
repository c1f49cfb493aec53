// Native llama.cpp (llama-server, llama-bench) built from the source node-llama-cpp ships, for the
// "same machine, same model, same threads" comparisons. bench/build-native.sh builds it outside the
// repo; LLAMA_CPP_BIN points elsewhere. Nothing here downloads anything.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export function nativeBinDir(): string | undefined {
  const dest = path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'gearbox', 'llama-native');
  const candidates = [
    process.env.LLAMA_CPP_BIN,
    path.join(dest, 'prebuilt-bin'),
    path.join(dest, 'build', 'bin'),
  ].filter((d): d is string => !!d);
  return candidates.find(
    (d) => fs.existsSync(path.join(d, 'llama-server')) || fs.existsSync(path.join(d, 'llama-bench')),
  );
}

/** The tools find their libraries next to them first (the prebuilt-bin layout needs it). */
function nativeEnv(bin: string): NodeJS.ProcessEnv {
  const dir = path.dirname(bin);
  return { ...process.env, LD_LIBRARY_PATH: [dir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') };
}

export function nativeBin(name: 'llama-server' | 'llama-bench'): string | undefined {
  const dir = nativeBinDir();
  const file = dir && path.join(dir, name);
  return file && fs.existsSync(file) ? file : undefined;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface LlamaServer {
  url: string;
  proc: ChildProcess;
  stop(): Promise<void>;
}

export async function startLlamaServer(
  model: string,
  threads: number,
  ctx = 4096,
  extraArgs: string[] = [],
): Promise<LlamaServer> {
  const bin = nativeBin('llama-server');
  if (!bin) throw new Error('llama-server not found: run bench/build-native.sh or set LLAMA_CPP_BIN');
  const port = await freePort();
  const args = [
    '-m',
    model,
    '-t',
    String(threads),
    '-tb',
    String(threads),
    '-c',
    String(ctx),
    '-np',
    '1',
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--no-webui',
    '-ngl',
    '0',
    ...extraArgs,
  ];
  const proc = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'], env: nativeEnv(bin) });
  let log = '';
  proc.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`llama-server exited (${proc.exitCode}):\n${log}`);
    try {
      const r = await fetch(`${url}/health`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`llama-server not ready after 120 s:\n${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    proc,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  };
}

export interface ServerCompletion {
  wallMs: number;
  promptN: number;
  promptMs: number;
  predictedN: number;
  predictedMs: number;
}

/** POST /completion with token ids (the exact prompt we give node-llama-cpp), greedy. */
export async function serverComplete(
  s: LlamaServer,
  tokens: number[],
  nPredict: number,
  cachePrompt = true,
): Promise<ServerCompletion> {
  const started = performance.now();
  const r = await fetch(`${s.url}/completion`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      prompt: tokens,
      n_predict: nPredict,
      cache_prompt: cachePrompt,
      temperature: 0,
      top_k: 1,
      ignore_eos: true,
      samplers: ['top_k'],
    }),
  });
  const body = (await r.json()) as {
    timings?: { prompt_n: number; prompt_ms: number; predicted_n: number; predicted_ms: number };
    error?: unknown;
  };
  const wallMs = performance.now() - started;
  if (!r.ok || !body.timings)
    throw new Error(`llama-server /completion failed: ${r.status} ${JSON.stringify(body).slice(0, 300)}`);
  return {
    wallMs,
    promptN: body.timings.prompt_n,
    promptMs: body.timings.prompt_ms,
    predictedN: body.timings.predicted_n,
    predictedMs: body.timings.predicted_ms,
  };
}

/** llama-bench decode rate (tokens/s) for `n` generated tokens. */
export function llamaBenchDecode(
  model: string,
  threads: number,
  n = 128,
  reps = 3,
): { tokensPerSecond: number; stddev: number } | undefined {
  const bin = nativeBin('llama-bench');
  if (!bin) return undefined;
  const r = spawnSync(
    bin,
    ['-m', model, '-t', String(threads), '-p', '0', '-n', String(n), '-r', String(reps), '-ngl', '0', '-o', 'json'],
    { encoding: 'utf8', maxBuffer: 16 << 20, env: nativeEnv(bin) },
  );
  if (r.status !== 0) throw new Error(`llama-bench failed: ${r.stderr.slice(-2000)}`);
  const rows = JSON.parse(r.stdout) as { avg_ts: number; stddev_ts: number; n_gen: number }[];
  const row = rows.find((x) => x.n_gen === n);
  return row && { tokensPerSecond: row.avg_ts, stddev: row.stddev_ts };
}
