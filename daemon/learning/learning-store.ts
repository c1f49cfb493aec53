// The learned calibration on disk: routing-learning.json beside the usage ledger (0600, its dir 0700),
// written whole to a temp file and renamed over the old one, so a crash leaves the old or the new
// state, never half of one. Writes are coalesced: one at a time, the latest state last. A file that
// does not parse or fails the schema is moved aside (.corrupt) and learning starts again from the
// published numbers, with a warning: a broken file must never break routing.
import fs from 'node:fs';
import path from 'node:path';
import { silentLogger, type Logger } from '../log';
import { emptyState, LearningState } from './learner';

export const LEARNING_FILE = 'routing-learning.json';

/** Where the calibration lives for a ledger at `ledgerPath` (null: memory only). */
export function learningPathFor(ledgerPath: string | null): string | null {
  return ledgerPath === null ? null : path.join(path.dirname(ledgerPath), LEARNING_FILE);
}

export class LearningStore {
  private pending: LearningState | undefined;
  private writing: Promise<void> | undefined;
  writeErrors = 0;

  constructor(
    readonly path: string | null,
    private readonly log: Logger = silentLogger,
  ) {}

  /** The saved state; defaults when there is none, or when it is unreadable (moved aside). */
  load(): LearningState {
    if (this.path === null) return emptyState();
    let text: string;
    try {
      text = fs.readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        this.log.warn('routing learning: cannot read the state; starting from the published numbers', {
          path: this.path,
          error: (err as Error).message,
        });
      return emptyState();
    }
    let why: string;
    try {
      const parsed = LearningState.safeParse(JSON.parse(text));
      if (parsed.success) return parsed.data;
      why = parsed.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join('.')}: ${i.message}`)
        .join('; ');
    } catch (err) {
      why = (err as Error).message;
    }
    const aside = `${this.path}.corrupt`;
    try {
      fs.renameSync(this.path, aside);
    } catch {
      /* gone meanwhile: nothing to keep */
    }
    this.log.warn('routing learning: the state file is invalid; moved aside, starting from the published numbers', {
      path: this.path,
      movedTo: aside,
      why,
    });
    return emptyState();
  }

  /** Saves `state` (after any write in progress); resolves when it is on disk. Never rejects. */
  save(state: LearningState): Promise<void> {
    if (this.path === null) return Promise.resolve();
    this.pending = state;
    this.writing ??= this.drain();
    return this.writing;
  }

  /** Resolves when every save so far is on disk. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  /** Writes until nothing is pending; `writing` is cleared in the same step as the last check. */
  private async drain(): Promise<void> {
    const file = this.path!;
    try {
      while (this.pending) {
        const state = this.pending;
        this.pending = undefined;
        const tmp = `${file}.${process.pid}.tmp`;
        try {
          await fs.promises.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
          await fs.promises.writeFile(tmp, `${JSON.stringify(state)}\n`, { mode: 0o600 });
          await fs.promises.rename(tmp, file);
        } catch (err) {
          this.writeErrors++;
          this.log.warn('routing learning: could not save the state (kept in memory)', {
            path: file,
            error: (err as Error).message,
          });
          await fs.promises.rm(tmp, { force: true }).catch(() => undefined);
        }
      }
    } finally {
      this.writing = undefined;
    }
  }
}
