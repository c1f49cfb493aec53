// Starts a daemon in-process on a temporary runtime dir, and connects clients to it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DaemonConfigSchema } from '../../daemon/config';
import { startDaemon, type DaemonOptions, type RunningDaemon } from '../../daemon/daemon';
import { connectToDaemon, type DaemonClient } from '../../daemon/cli/client';
import type { WorkspaceSettings } from '../../shared/protocol';

export function tempDir(prefix = 'gearbox-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

type ConnectOptions = Parameters<typeof connectToDaemon>[0];

export interface TestDaemon extends RunningDaemon {
  runtimeDir: string;
  logs: string[];
  connect(
    settings?: Partial<WorkspaceSettings>,
    opts?: Omit<ConnectOptions, 'runtimeDir' | 'settings'>,
  ): Promise<DaemonClient>;
}

export async function startTestDaemon(config: unknown = {}, opts: Partial<DaemonOptions> = {}): Promise<TestDaemon> {
  const runtimeDir = opts.runtimeDir ?? path.join(tempDir(), 'run');
  const logs: string[] = [];
  const d = await startDaemon({
    runtimeDir,
    configPath: path.join(runtimeDir, 'unused-config.json'),
    // Nothing real is ever downloaded in tests: a test that wants the first-start download turns it on.
    config: DaemonConfigSchema.parse({ autoDownload: false, ...(config as Record<string, unknown>) }),
    logLevel: 'debug',
    logWrite: (l) => logs.push(l),
    // Keep state (the usage ledger) inside the test's temp dir, never in the real home.
    env: {
      PATH: process.env.PATH ?? '',
      HOME: path.dirname(runtimeDir),
      XDG_STATE_HOME: path.join(path.dirname(runtimeDir), 'state'),
    },
    ...opts,
  });
  const clients: DaemonClient[] = [];
  const td: TestDaemon = Object.assign(d, {
    runtimeDir,
    logs,
    connect: async (settings?: Partial<WorkspaceSettings>, connectOpts?: Partial<ConnectOptions>) => {
      const c = await connectToDaemon({ ...connectOpts, runtimeDir, settings });
      clients.push(c);
      return c;
    },
  });
  const stop = d.stop;
  td.stop = async (reason?: string) => {
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
    await stop(reason);
  };
  return td;
}
