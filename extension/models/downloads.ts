// Model downloads as the editor shows them: the daemon runs them (they outlive this window) and
// reports gearbox/models/progress and gearbox/models/changed to every client. Each running download
// shows in the status bar; one this window asked for also gets a cancellable progress notification
// (MiB/s, time left) until it is on disk, fails or is cancelled.
import * as vscode from 'vscode';
import type { DownloadProgress, LocalModelEntry } from '../../shared/protocol';
import type { GearboxClient } from '../client-api';
import { downloadStatus, ProgressIncrements } from '../core/download-format';
import { errorMessage } from '../core/refactor-logic';
import type { StatusBar } from '../status-bar';

export type DownloadOutcome = 'done' | 'failed' | 'cancelled' | 'disconnected';

type Follower = (update: { progress?: DownloadProgress; entry?: LocalModelEntry; lost?: boolean }) => void;

export class DownloadWatcher implements vscode.Disposable {
  private readonly running = new Map<string, DownloadProgress>();
  private readonly followers = new Map<string, Set<Follower>>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly client: GearboxClient,
    private readonly statusBar: StatusBar,
  ) {
    this.disposables.push(
      client.onNotification('gearbox/models/progress', (p) => {
        this.running.set(p.id, p);
        this.showStatus();
        this.tell(p.id, { progress: p });
      }),
      client.onNotification('gearbox/models/changed', (p) => this.onModels(p.models)),
      client.onDidChangeState((s) => {
        if (s === 'running') return;
        // Progress of a lost connection stops: the new daemon (or connection) reports afresh.
        this.running.clear();
        this.showStatus();
        for (const id of [...this.followers.keys()]) this.tell(id, { lost: true });
      }),
    );
  }

  /** The latest progress of each running download. */
  get progress(): ReadonlyMap<string, DownloadProgress> {
    return this.running;
  }

  /** Takes a fresh model list (a changed notification or a list request): downloads start and end here. */
  onModels(models: readonly LocalModelEntry[]): void {
    for (const m of models) {
      if (m.state === 'downloading' && m.download && !this.running.has(m.id)) this.running.set(m.id, m.download);
      if (m.state !== 'downloading') this.running.delete(m.id);
      this.tell(m.id, { entry: m });
    }
    const ids = new Set(models.map((m) => m.id));
    for (const id of [...this.running.keys()]) if (!ids.has(id)) this.running.delete(id);
    this.showStatus();
  }

  private showStatus(): void {
    const s = downloadStatus(this.running);
    this.statusBar.setPart('download', s && { text: s.text, tooltip: s.tooltip });
  }

  private tell(id: string, update: Parameters<Follower>[0]): void {
    for (const f of this.followers.get(id) ?? []) f(update);
  }

  /**
   * Shows a cancellable notification for the model's download until it ends (Cancel pauses it: the
   * bytes stay and a later download resumes), then says how it ended. Resolves with that outcome.
   */
  async follow(entry: LocalModelEntry): Promise<DownloadOutcome> {
    if (entry.state !== 'downloading') return entry.state === 'on-disk' || entry.state === 'loaded' ? 'done' : 'failed';
    let last = entry;
    const outcome = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `Gearbox: downloading ${entry.displayName}`,
        cancellable: true,
      },
      (progress, token) =>
        new Promise<DownloadOutcome>((resolve) => {
          const increments = new ProgressIncrements();
          const report = (p: DownloadProgress) => progress.report(increments.next(p));
          const set = this.followers.get(entry.id) ?? new Set<Follower>();
          this.followers.set(entry.id, set);
          const finish = (o: DownloadOutcome) => {
            set.delete(follower);
            if (set.size === 0) this.followers.delete(entry.id);
            resolve(o);
          };
          const follower: Follower = (u) => {
            if (u.lost) return finish('disconnected');
            if (u.progress) report(u.progress);
            if (!u.entry) return;
            last = u.entry;
            if (u.entry.state === 'on-disk' || u.entry.state === 'loaded') finish('done');
            else if (u.entry.state !== 'downloading')
              finish(u.entry.lastError?.reason === 'cancelled' ? 'cancelled' : 'failed');
          };
          set.add(follower);
          if (entry.download) report(entry.download);
          token.onCancellationRequested(() => {
            progress.report({ message: 'cancelling…' });
            this.client.request('gearbox/models/cancelDownload', { id: entry.id }).then(
              (r) => follower({ entry: r.model }),
              (err) => this.client.log.warn(`cancelling the download of ${entry.id}: ${errorMessage(err)}`),
            );
          });
          // What happened between the request that started it and now (it may even be done).
          this.client.request('gearbox/models/list', {}).then(
            (list) => {
              const now = list.models.find((m) => m.id === entry.id);
              if (now) follower({ entry: now });
            },
            () => undefined,
          );
        }),
    );
    void this.announce(outcome, last);
    return outcome;
  }

  private async announce(outcome: DownloadOutcome, m: LocalModelEntry): Promise<void> {
    const name = m.displayName;
    if (outcome === 'done') {
      void vscode.window.showInformationMessage(
        `Gearbox: ${name} is on disk; it serves ${m.tasks.filter((t) => t !== 'embedding').join(', ')} offline.`,
      );
    } else if (outcome === 'cancelled') {
      const pick = await vscode.window.showInformationMessage(
        `Gearbox: the download of ${name} is paused; what it fetched is kept.`,
        'Resume',
      );
      if (pick === 'Resume') await this.resume(m);
    } else if (outcome === 'failed') {
      const why = m.lastError?.message ?? 'see the logs';
      const pick = await vscode.window.showErrorMessage(`Gearbox: downloading ${name} failed: ${why}`, 'Retry');
      if (pick === 'Retry') await this.resume(m);
    } else {
      void vscode.window.showWarningMessage(
        `Gearbox: lost the daemon connection while ${name} was downloading; the daemon resumes it when asked ` +
          '(Models view → Download).',
      );
    }
  }

  /** Starts (or resumes) a download and follows it. */
  async resume(m: Pick<LocalModelEntry, 'id'>): Promise<DownloadOutcome | undefined> {
    try {
      const r = await this.client.request('gearbox/models/download', { id: m.id });
      return await this.follow(r.model);
    } catch (err) {
      void vscode.window.showErrorMessage(`Gearbox: cannot download ${m.id}: ${errorMessage(err)}`);
      return undefined;
    }
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
