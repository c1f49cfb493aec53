// Where the chat's @ mentions read from, through VS Code: @file (a fuzzy Quick Pick over the
// workspace's files), @selection, @open (the open editors), @problems (diagnostics of the file or the
// workspace), @terminal (the last command and its output, through shell integration when VS Code has
// it), @symbol (workspace symbols from the language providers) and @codebase (the daemon's code
// index, built on first use with progress). What each becomes is chips.ts's (plain, tested in Node);
// this adapter only asks the user and reads.
import * as vscode from 'vscode';
import type { IndexSearchHit, Range } from '../../shared/protocol';
import type { ChipRef, MentionKind } from '../../shared/webview-protocol';
import type { GearboxClient } from '../client-api';
import {
  codebaseChip,
  fileChip,
  type FileText,
  openChip,
  type Problem,
  problemsChip,
  rangeChip,
  type ResolvedChip,
  type Severity,
  terminalChip,
  type TerminalRun,
} from './chips';
import { fuzzyFilter } from '../core/fuzzy';
import { TerminalWatch } from './terminal-watch';

/** The most files the @file picker lists (the Quick Pick filters them as the user types). */
const MAX_PICK_FILES = 20_000;
/** How many code search results a @codebase chip takes. */
const CODEBASE_RESULTS = 5;

export interface ChipSourceDeps {
  client: GearboxClient;
  /** The editor the chat is about (the webview has the focus, so the view remembers it). */
  editor(): vscode.TextEditor | undefined;
}

export class ChipSources implements vscode.Disposable {
  private counter = 0;
  private readonly terminals = new TerminalWatch();

  constructor(private readonly deps: ChipSourceDeps) {}

  dispose(): void {
    this.terminals.dispose();
  }

  private id(): string {
    return `chip-${Date.now().toString(36)}-${++this.counter}`;
  }

  /** Asks what exactly the mention means and reads it; a string says why nothing could be added. */
  async pick(kind: MentionKind, draft: string | undefined): Promise<ResolvedChip | string | undefined> {
    switch (kind) {
      case 'file':
        return this.pickFile();
      case 'selection':
        return this.selection();
      case 'open':
        return (await this.openEditors()) ?? 'No editors with text are open.';
      case 'problems':
        return this.pickProblems();
      case 'terminal':
        return this.terminal();
      case 'symbol':
        return this.pickSymbol();
      case 'codebase':
        return this.pickCodebase(draft);
    }
  }

  /** A stored chip read again (a retry after a reload); undefined when it cannot be. */
  async resolve(ref: ChipRef): Promise<ResolvedChip | undefined> {
    const uri = ref.uris?.[0];
    switch (ref.kind) {
      case 'file':
        return uri ? fileChip(ref.id, await readFile(vscode.Uri.parse(uri))) : undefined;
      case 'editor':
      case 'selection':
      case 'symbol': {
        if (!uri) return undefined;
        const f = await readFile(vscode.Uri.parse(uri));
        if (!ref.range || isEmpty(ref.range)) return ref.kind === 'editor' ? fileChip(ref.id, f) : undefined;
        return rangeChip(ref.id, ref.kind, partOf(f, ref.range), ref.range, ref.query);
      }
      case 'open': {
        const files = await Promise.all(
          (ref.uris ?? []).map((u) => readFile(vscode.Uri.parse(u)).catch(() => undefined)),
        );
        return openChip(
          ref.id,
          files.filter((f): f is FileText => !!f),
        );
      }
      case 'problems':
        return problemsChip(ref.id, ref.scope ?? 'workspace', problemsOf(uri ? vscode.Uri.parse(uri) : undefined));
      case 'terminal': {
        const run = this.terminals.last();
        return run ? terminalChip(ref.id, run) : undefined;
      }
      case 'codebase':
        return ref.query ? this.searchChip(ref.id, ref.query) : undefined;
    }
  }

  // ---------- @file ----------

  private async pickFile(): Promise<ResolvedChip | undefined> {
    const uris = await vscode.workspace.findFiles('**/*', undefined, MAX_PICK_FILES);
    const files = uris
      .map((uri) => ({ uri, rel: vscode.workspace.asRelativePath(uri, false) }))
      .sort((a, b) => a.rel.localeCompare(b.rel));
    type Item = vscode.QuickPickItem & { uri: vscode.Uri };
    const qp = vscode.window.createQuickPick<Item>();
    qp.title = 'Gearbox: @file — attach a file to the chat';
    qp.placeholder = 'Type to search the workspace (fuzzy: "blng" finds billing.py)';
    // Ranked by our fuzzy match (Quick Pick's own filter wants contiguous text): shown as ranked.
    const show = (query: string) => {
      qp.items = fuzzyFilter(files, query, (f) => f.rel).map((f): Item => {
        const slash = f.rel.lastIndexOf('/');
        return {
          label: f.rel.slice(slash + 1),
          description: slash > 0 ? f.rel.slice(0, slash) : '',
          uri: f.uri,
          alwaysShow: true,
        };
      });
    };
    const picked = await new Promise<Item | undefined>((resolve) => {
      qp.onDidChangeValue(show);
      qp.onDidAccept(() => resolve(qp.selectedItems[0] ?? qp.activeItems[0]));
      qp.onDidHide(() => resolve(undefined));
      show('');
      qp.show();
    });
    qp.dispose();
    if (!picked) return undefined;
    return fileChip(this.id(), await readFile(picked.uri));
  }

  // ---------- @selection, @open ----------

  private async selection(): Promise<ResolvedChip | string> {
    const ed = this.deps.editor();
    if (!ed || ed.selection.isEmpty) return 'Select some code in an editor first, then add @selection.';
    const f = await readFile(ed.document.uri);
    const range = toRange(ed.selection);
    return rangeChip(this.id(), 'selection', partOf(f, range), range);
  }

  private async openEditors(): Promise<ResolvedChip | undefined> {
    const seen = new Set<string>();
    const uris: vscode.Uri[] = [];
    for (const group of vscode.window.tabGroups.all) {
      for (const tab of group.tabs) {
        if (!(tab.input instanceof vscode.TabInputText)) continue;
        const key = tab.input.uri.toString();
        if (seen.has(key)) continue;
        seen.add(key);
        uris.push(tab.input.uri);
      }
    }
    const files = await Promise.all(uris.map((u) => readFile(u).catch(() => undefined)));
    return openChip(
      this.id(),
      files.filter((f): f is FileText => !!f),
    );
  }

  // ---------- @problems ----------

  private async pickProblems(): Promise<ResolvedChip | string | undefined> {
    const ed = this.deps.editor();
    const options: { label: string; scope: 'file' | 'workspace' }[] = [];
    if (ed) options.push({ label: `Problems in ${vscode.workspace.asRelativePath(ed.document.uri)}`, scope: 'file' });
    options.push({ label: 'Problems in the workspace', scope: 'workspace' });
    const picked =
      options.length === 1
        ? options[0]
        : await vscode.window.showQuickPick(options, { title: 'Gearbox: @problems — which problems?' });
    if (!picked) return undefined;
    const uri = picked.scope === 'file' ? ed?.document.uri : undefined;
    const path = uri ? vscode.workspace.asRelativePath(uri) : undefined;
    return (
      problemsChip(this.id(), picked.scope, problemsOf(uri), path) ??
      `No problems ${uri ? `in ${path}` : 'in the workspace'} right now.`
    );
  }

  // ---------- @terminal ----------

  private terminal(): ResolvedChip | string {
    const run = this.terminals.last(vscode.window.activeTerminal);
    if (run) return terminalChip(this.id(), run);
    return this.terminals.whyNone(vscode.window.activeTerminal);
  }

  // ---------- @symbol ----------

  private async pickSymbol(): Promise<ResolvedChip | string | undefined> {
    const qp = vscode.window.createQuickPick<vscode.QuickPickItem & { symbol: vscode.SymbolInformation }>();
    qp.title = 'Gearbox: @symbol — attach a symbol to the chat';
    qp.placeholder = 'Type a function, class or variable name';
    qp.matchOnDescription = true;
    let asked = 0;
    const lookUp = async (query: string) => {
      const mine = ++asked;
      qp.busy = true;
      const found = await vscode.commands
        .executeCommand<vscode.SymbolInformation[]>('vscode.executeWorkspaceSymbolProvider', query)
        .then(
          (r) => r ?? [],
          () => [],
        );
      if (mine !== asked) return;
      qp.busy = false;
      qp.items = found.slice(0, 200).map((symbol) => {
        const where = vscode.workspace.asRelativePath(symbol.location.uri);
        return {
          label: symbol.name,
          description: `${symbol.containerName ? `${symbol.containerName} · ` : ''}${where}`,
          symbol,
        };
      });
    };
    const picked = await new Promise<vscode.SymbolInformation | undefined>((resolve) => {
      qp.onDidChangeValue((v) => void lookUp(v));
      qp.onDidAccept(() => resolve(qp.selectedItems[0]?.symbol));
      qp.onDidHide(() => resolve(undefined));
      qp.show();
      void lookUp('');
    });
    qp.dispose();
    if (!picked) return undefined;
    const f = await readFile(picked.location.uri);
    const range = await symbolRange(picked);
    return rangeChip(this.id(), 'symbol', partOf(f, range), range, picked.name);
  }

  // ---------- @codebase ----------

  private async pickCodebase(draft: string | undefined): Promise<ResolvedChip | string | undefined> {
    const query = await vscode.window.showInputBox({
      title: 'Gearbox: @codebase — search this workspace',
      prompt: 'Describe the code to find (words from it, or what it does)',
      value: draft?.replace(/(^|\s)@codebase\b/g, ' ').trim() ?? '',
      ignoreFocusOut: true,
    });
    if (!query?.trim()) return undefined;
    await this.ensureIndex();
    return (await this.searchChip(this.id(), query.trim())) ?? `@codebase found nothing for "${query.trim()}".`;
  }

  private async searchChip(id: string, query: string): Promise<ResolvedChip | undefined> {
    const found = await this.deps.client.request('gearbox/index/search', { query, k: CODEBASE_RESULTS });
    const multiRoot = found.folders.length > 1;
    return codebaseChip(
      id,
      query,
      found.results.map((h) => toHit(h, multiRoot)),
    );
  }

  /** Builds the workspace's index the first time, with its progress in a notification. */
  private async ensureIndex(): Promise<void> {
    const { folders } = await this.deps.client.request('gearbox/index/status', {});
    // Each folder of a multi-root workspace has its own index; one never built means a build (of those).
    if (folders.every((f) => f.builtAt !== null && f.state !== 'none')) return;
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Gearbox: indexing the workspace for @codebase' },
      async (progress) => {
        let last = 0;
        const sub = this.deps.client.onNotification('gearbox/index/progress', (p) => {
          const pct = p.total ? Math.floor((p.done / p.total) * 100) : 0;
          progress.report({ message: `${p.phase} ${p.done}/${p.total}`, increment: Math.max(0, pct - last) });
          last = Math.max(last, pct);
        });
        try {
          await this.deps.client.request('gearbox/index/build', {});
        } finally {
          sub.dispose();
        }
      },
    );
  }
}

/** A search hit for a chip; in a multi-root workspace its path starts with its folder's name. */
function toHit(h: IndexSearchHit, multiRoot: boolean) {
  return { uri: h.uri, path: multiRoot ? `${h.folder.name}/${h.path}` : h.path, range: h.range, snippet: h.snippet };
}

async function readFile(uri: vscode.Uri): Promise<FileText> {
  const doc = await vscode.workspace.openTextDocument(uri);
  const text = doc.getText();
  if (text.includes('\u0000')) throw new Error(`${vscode.workspace.asRelativePath(uri)} is not a text file`);
  return { uri: uri.toString(), path: vscode.workspace.asRelativePath(uri), languageId: doc.languageId, text };
}

/** The file's text cut to `range`. */
function partOf(f: FileText, r: Range): FileText {
  const lines = f.text.split('\n');
  const start = r.start.line;
  const end = r.end.character === 0 && r.end.line > start ? r.end.line - 1 : r.end.line;
  return { ...f, text: lines.slice(start, end + 1).join('\n') };
}

function isEmpty(r: Range): boolean {
  return r.start.line === r.end.line && r.start.character === r.end.character;
}

function toRange(r: vscode.Range): Range {
  return {
    start: { line: r.start.line, character: r.start.character },
    end: { line: r.end.line, character: r.end.character },
  };
}

/** A symbol's whole declaration: workspace symbols may give only its name's line; the document's own say more. */
async function symbolRange(s: vscode.SymbolInformation): Promise<Range> {
  const r = s.location.range;
  if (r.end.line > r.start.line) return toRange(r);
  const symbols = await vscode.commands
    .executeCommand<vscode.DocumentSymbol[]>('vscode.executeDocumentSymbolProvider', s.location.uri)
    .then(
      (x) => x ?? [],
      () => [],
    );
  const stack = [...symbols];
  while (stack.length) {
    const d = stack.pop()!;
    if (d.name === s.name && d.range.contains(r.start)) return toRange(d.range);
    stack.push(...(d.children ?? []));
  }
  return toRange(new vscode.Range(r.start.line, 0, r.start.line + 1, 0));
}

const SEVERITY: Record<vscode.DiagnosticSeverity, Severity> = {
  [vscode.DiagnosticSeverity.Error]: 'error',
  [vscode.DiagnosticSeverity.Warning]: 'warning',
  [vscode.DiagnosticSeverity.Information]: 'info',
  [vscode.DiagnosticSeverity.Hint]: 'hint',
};

/** Diagnostics of one file, or of every file, as plain problems (with the line they are on, when open). */
function problemsOf(uri: vscode.Uri | undefined): Problem[] {
  const entries: [vscode.Uri, readonly vscode.Diagnostic[]][] = uri
    ? [[uri, vscode.languages.getDiagnostics(uri)]]
    : vscode.languages.getDiagnostics();
  const out: Problem[] = [];
  for (const [u, diags] of entries) {
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === u.toString());
    for (const d of diags) {
      out.push({
        uri: u.toString(),
        path: vscode.workspace.asRelativePath(u),
        line: d.range.start.line,
        character: d.range.start.character,
        severity: SEVERITY[d.severity],
        message: d.message,
        ...(d.source ? { source: d.source } : {}),
        ...(doc && d.range.start.line < doc.lineCount ? { lineText: doc.lineAt(d.range.start.line).text } : {}),
      });
    }
  }
  return out;
}

export type { TerminalRun };
