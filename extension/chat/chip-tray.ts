// The chips of the next chat message: the editor's own chip (its selection or file, following the
// editor; removable until the selection or the editor changes) and the chips added with @ (removable,
// sent once). Pure: the controller owns one, the view renders its refs.
import type { ChipRef } from '../../shared/webview-protocol';
import type { ResolvedChip } from './chips';

export class ChipTray {
  private editor: ChipRef | null = null;
  private editorKey = '';
  private editorRemoved = false;
  private added: ResolvedChip[] = [];

  /** The editor's chip changed (`key`: its uri and selection); false when nothing visible changed. */
  editorChanged(key: string, chip: ChipRef | null): boolean {
    if (key !== this.editorKey) {
      this.editorKey = key;
      this.editorRemoved = false;
    }
    const next = this.editorRemoved ? null : chip;
    if (JSON.stringify(next) === JSON.stringify(this.editor)) return false;
    this.editor = next;
    return true;
  }

  /** Adds a chip; one of the same kind and label replaces the old one (picked again: fresh content). */
  add(chip: ResolvedChip): void {
    this.added = [...this.added.filter((c) => !(c.ref.kind === chip.ref.kind && c.ref.label === chip.ref.label)), chip];
  }

  remove(id: string): boolean {
    if (this.editor?.id === id) {
      this.editor = null;
      this.editorRemoved = true;
      return true;
    }
    const before = this.added.length;
    this.added = this.added.filter((c) => c.ref.id !== id);
    return this.added.length !== before;
  }

  /** Whether the editor's chip is shown (its content is read when the message is sent). */
  get hasEditorChip(): boolean {
    return this.editor !== null;
  }

  /** What the view shows: the editor's chip first, then the added ones. */
  refs(): ChipRef[] {
    return [...(this.editor ? [this.editor] : []), ...this.added.map((c) => c.ref)];
  }

  /** The chips added with @, in order. */
  addedChips(): readonly ResolvedChip[] {
    return this.added;
  }

  /** After a send: the added chips belonged to that message. */
  clearAdded(): void {
    this.added = [];
  }
}
