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
  const version = dir ? (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version : '';
  const localDir = dir ? path.join(dir, 'llama', 'localBuilds') : '';
  const localBuilds = localDir && fs.existsSync(localDir) ? fs.readdirSync(localDir).filter((n) => !n.startsWith('.')) : [];
  let binary: DoctorReport['binary'] = null;
  if (dir && probeBinary) {
    try {
      const nlc = await import('node-llama-cpp');
      const llama = await nlc.getLlama({ gpu: 'auto', build: 'never', skipDownload: true, progressLogs: false, logLevel: nlc.LlamaLogLevel.error });
      binary = { type: llama.buildType, gpu: llama.gpu === false ? 'cpu' : llama.gpu };
      await llama.dispose();
    } catch (err) {
      binary = { type: 'unavailable', gpu: 'unknown', error: (err as Error).message };
    }
  }
  return {
    platform: `${process.platform}-${process.arch}`,
    runtime: process.versions.electron ? `Electron ${process.versions.electron} (Node ${process.versions.node})` : `Node ${process.versions.node}`,
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

export function formatDoctor(r: DoctorReport): string {
  const lines = [
    `platform        ${r.platform}, ${r.runtime}`,
    `cpu             ${r.cpu}: ${r.logicalCores} logical, ${r.physicalCores ?? '?'} physical cores; inference threads ${r.defaultThreads}`,
    `node-llama-cpp  ${r.nodeLlamaCpp ? `${r.nodeLlamaCpp.version} at ${r.nodeLlamaCpp.dir}` : 'not found'}`,
    `binary          ${r.binary ? `${r.binary.type} (${r.binary.gpu})${r.binary.error ? `: ${r.binary.error}` : ''}` : 'not probed'}`,
    `native builds   ${r.localBuilds.length ? r.localBuilds.join(', ') : 'none (gearbox doctor --build-native compiles one for this CPU)'}`,
    `build tools     cmake ${r.buildTools.cmake ? 'yes' : 'no'}, C++ compiler ${r.buildTools.compiler ? 'yes' : 'no'}`,
  ];
  return lines.join('\n');
}

/** Runs node-llama-cpp's CLI (its `source download` uses the llama.cpp git bundle it ships: no network). */
function runNodeLlamaCppCli(dir: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<number> {
  const cli = path.join(dir, 'dist', 'cli', 'cli.js');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: 'inherit', env: { ...process.env, ...env, ELECTRON_RUN_AS_NODE: '1' } });
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

export async function buildNative(opts: { amx?: boolean } = {}): Promise<number> {
  const r = await doctorReport(false);
  if (!r.nodeLlamaCpp) throw new Error('node-llama-cpp is not installed next to gearbox: nothing to build.');
  if (!fs.existsSync(path.join(r.nodeLlamaCpp.dir, 'llama', 'gitRelease.bundle'))) {
    throw new Error(`node-llama-cpp at ${r.nodeLlamaCpp.dir} ships no llama.cpp source bundle: install gearbox from npm to build natively.`);
  }
  if (!r.buildTools.cmake || !r.buildTools.compiler) {
    throw new Error('Building needs cmake and a C++ compiler (Debian/Ubuntu: apt-get install -y cmake g++; macOS: xcode-select --install && brew install cmake).');
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
  const code = await runNodeLlamaCppCli(r.nodeLlamaCpp.dir, ['source', 'download', '--gpu', 'false', '--noUsageExample'], env);
  if (code !== 0) throw new Error(`the native build failed (exit ${code}); the prebuilt binary stays in use.`);
  console.log(`Built in ${Math.round((Date.now() - started) / 1000)} s. Restart the daemon (gearbox stop; the editor restarts it) to use it; gearbox doctor --clear-native goes back.`);
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
