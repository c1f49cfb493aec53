// `gearbox doctor`: what the local inference runs on (binary, CPU, threads, GPU), and the opt-in
// `--build-native` step that compiles node-llama-cpp's bundled llama.cpp source for this very CPU
// (GGML_NATIVE) instead of the portable prebuilt binary. node-llama-cpp picks a local build over
// the prebuilt one by itself; `--clear-native` goes back to the prebuilt binary.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultThreadCount, physicalCoreCount } from '../model-host/threads';

export interface DoctorReport {
  platform: string;
  runtime: string;
  cpu: string;
  logicalCores: number;
  physicalCores: number | null;
  defaultThreads: number;
  nodeLlamaCpp: { dir: string; version: string } | null;
  /** Local builds made by `--build-native` (node-llama-cpp prefers them over the prebuilt binary). */
  localBuilds: string[];
  binary: { type: string; gpu: string; error?: string } | null;
  buildTools: { cmake: boolean; compiler: boolean };
}

function nodeLlamaCppDir(): string | null {
  try {
    // node-llama-cpp is ESM with an exports map: resolve its entry, then walk up to the package root.
    let dir = path.dirname(fileURLToPath(import.meta.resolve('node-llama-cpp')));
    while (!fs.existsSync(path.join(dir, 'package.json'))) {
      const up = path.dirname(dir);
      if (up === dir) return null;
      dir = up;
    }
    return dir;
  } catch {
    return null;
  }
}

function has(cmd: string, args: string[] = ['--version']): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}

export async function doctorReport(probeBinary = true): Promise<DoctorReport> {
  const dir = nodeLlamaCppDir();
  const version = dir
    ? (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version
    : '';
  const localDir = dir ? path.join(dir, 'llama', 'localBuilds') : '';
  const localBuilds =
    localDir && fs.existsSync(localDir) ? fs.readdirSync(localDir).filter((n) => !n.startsWith('.')) : [];
  let binary: DoctorReport['binary'] = null;
  if (dir && probeBinary) {
    try {
      const nlc = await import('node-llama-cpp');
      const llama = await nlc.getLlama({
        gpu: 'auto',
        build: 'never',
        skipDownload: true,
        progressLogs: false,
        logLevel: nlc.LlamaLogLevel.error,
      });
      binary = { type: llama.buildType, gpu: llama.gpu === false ? 'cpu' : llama.gpu };
      await llama.dispose();
    } catch (err) {
      binary = { type: 'unavailable', gpu: 'unknown', error: (err as Error).message };
    }
  }
  return {
    platform: `${process.platform}-${process.arch}`,
    runtime: process.versions.electron
      ? `Electron ${process.versions.electron} (Node ${process.versions.node})`
      : `Node ${process.versions.node}`,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    logicalCores: os.availableParallelism(),
    physicalCores: physicalCoreCount(),
    defaultThreads: defaultThreadCount(),
    nodeLlamaCpp: dir ? { dir, version } : null,
    localBuilds,
    binary,
    buildTools: { cmake: has('cmake'), compiler: has('c++') || has('g++') || has('clang++') },
  };
}

const NO_NATIVE_BUILDS = 'none (gearbox doctor --build-native compiles one for this CPU)';

export function formatDoctor(r: DoctorReport): string {
  const binary = r.binary
    ? `${r.binary.type} (${r.binary.gpu})${r.binary.error ? `: ${r.binary.error}` : ''}`
    : 'not probed';
  const lines = [
    `platform        ${r.platform}, ${r.runtime}`,
    `cpu             ${r.cpu}: ${r.logicalCores} logical, ${r.physicalCores ?? '?'} physical cores; ` +
      `inference threads ${r.defaultThreads}`,
    `node-llama-cpp  ${r.nodeLlamaCpp ? `${r.nodeLlamaCpp.version} at ${r.nodeLlamaCpp.dir}` : 'not found'}`,
    `binary          ${binary}`,
    `native builds   ${r.localBuilds.length ? r.localBuilds.join(', ') : NO_NATIVE_BUILDS}`,
    `build tools     cmake ${r.buildTools.cmake ? 'yes' : 'no'}, C++ compiler ${r.buildTools.compiler ? 'yes' : 'no'}`,
  ];
  return lines.join('\n');
}

/** Runs node-llama-cpp's CLI (its `source download` uses the llama.cpp git bundle it ships: no network). */
function runNodeLlamaCppCli(dir: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<number> {
  const cli = path.join(dir, 'dist', 'cli', 'cli.js');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], {
      stdio: 'inherit',
      env: { ...process.env, ...env, ELECTRON_RUN_AS_NODE: '1' },
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

/** The CPU lists AMX (Sapphire Rapids and later). */
function cpuHasAmx(): boolean {
  try {
    return /\bamx_tile\b/.test(fs.readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return false;
  }
}

export async function buildNative(opts: { amx?: boolean; smokeModel?: string } = {}): Promise<number> {
  const r = await doctorReport(false);
  if (!r.nodeLlamaCpp) throw new Error('node-llama-cpp is not installed next to gearbox: nothing to build.');
  if (!fs.existsSync(path.join(r.nodeLlamaCpp.dir, 'llama', 'gitRelease.bundle'))) {
    throw new Error(
      `node-llama-cpp at ${r.nodeLlamaCpp.dir} ships no llama.cpp source bundle: ` +
        'install gearbox from npm to build natively.',
    );
  }
  if (!r.buildTools.cmake || !r.buildTools.compiler) {
    throw new Error(
      'Building needs cmake and a C++ compiler ' +
        '(Debian/Ubuntu: apt-get install -y cmake g++; macOS: xcode-select --install && brew install cmake).',
    );
  }
  console.log(`Compiling llama.cpp for this CPU (${r.cpu}); this takes several minutes…`);
  const started = Date.now();
  // GGML_NATIVE compiles for every feature the CPU lists, AMX included; under some hypervisors the
  // first AMX tile load is an illegal instruction (prompt evaluation crashes), so AMX is opt-in.
  const env: NodeJS.ProcessEnv = {};
  if (cpuHasAmx() && !opts.amx) {
    const flags = '-mno-amx-tile -mno-amx-int8 -mno-amx-bf16';
    env.NODE_LLAMA_CPP_CMAKE_OPTION_CMAKE_C_FLAGS = flags;
    env.NODE_LLAMA_CPP_CMAKE_OPTION_CMAKE_CXX_FLAGS = flags;
    console.log('AMX left out (add --amx on bare metal to keep it).');
  }
  const code = await runNodeLlamaCppCli(
    r.nodeLlamaCpp.dir,
    ['source', 'download', '--gpu', 'false', '--noUsageExample'],
    env,
  );
  if (code !== 0) throw new Error(`the native build failed (exit ${code}); the prebuilt binary stays in use.`);
  console.log(`Built in ${Math.round((Date.now() - started) / 1000)} s.`);
  // A build can compile and still not run here (an instruction the CPU lists but the hypervisor
  // traps): evaluate a prompt with it in a child process before keeping it.
  if (opts.smokeModel) {
    const smoke = await smokeTest(opts.smokeModel);
    if (!smoke.ok) {
      await clearNative();
      throw new Error(
        `the native build does not run on this machine (${smoke.why}); ` +
          'it was removed and the prebuilt binary stays in use.',
      );
    }
    console.log(`Checked: it evaluated a prompt with ${path.basename(opts.smokeModel)} (${smoke.why}).`);
  } else {
    console.log(
      'Not checked: no local GGUF model is configured to run it with ' +
        '(gearbox doctor --clear-native removes it if inference fails).',
    );
  }
  console.log(
    'Restart the daemon (gearbox stop; the editor restarts it) to use it; gearbox doctor --clear-native goes back.',
  );
  return 0;
}

/** Loads `model` with the binary node-llama-cpp picks now and evaluates a 64-token prompt, in a child process. */
function smokeTest(model: string): Promise<{ ok: boolean; why: string }> {
  const entry = process.argv[1];
  return new Promise((resolve) => {
    if (!entry) return resolve({ ok: false, why: 'cannot locate the gearbox CLI to run the check' });
    const child = spawn(process.execPath, [entry, 'doctor', '--smoke', model], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal)
        resolve({
          ok: false,
          why: `the check died with ${signal}${signal === 'SIGILL' ? ': illegal instruction' : ''}`,
        });
      else if (code !== 0)
        resolve({ ok: false, why: `the check failed: ${out.trim().split('\n').at(-1) ?? `exit ${code}`}` });
      else resolve({ ok: true, why: out.trim().split('\n').at(-1) ?? 'ok' });
    });
  });
}

/** The child side of smokeTest. */
export async function runSmoke(model: string): Promise<number> {
  const nlc = await import('node-llama-cpp');
  const llama = await nlc.getLlama({
    gpu: false,
    build: 'never',
    skipDownload: true,
    progressLogs: false,
    logLevel: nlc.LlamaLogLevel.error,
  });
  const m = await llama.loadModel({ modelPath: model, gpuLayers: 0 });
  const ctx = await m.createContext({ contextSize: 512, threads: defaultThreadCount() });
  const tokens = m.tokenize('function add(a, b) {\n  return a + b;\n}\n'.repeat(6)).slice(0, 64);
  const started = Date.now();
  await ctx.getSequence().evaluateWithoutGeneratingNewTokens(tokens);
  console.log(`${llama.buildType} binary, ${tokens.length} tokens in ${Date.now() - started} ms`);
  await ctx.dispose();
  await m.dispose();
  await llama.dispose();
  return 0;
}

export async function clearNative(): Promise<number> {
  const r = await doctorReport(false);
  if (!r.nodeLlamaCpp) throw new Error('node-llama-cpp is not installed next to gearbox.');
  const localDir = path.join(r.nodeLlamaCpp.dir, 'llama', 'localBuilds');
  fs.rmSync(localDir, { recursive: true, force: true });
  console.log(`Removed the native builds in ${localDir}; the prebuilt binary is used after a daemon restart.`);
  return 0;
}
