// `gearbox lsp`: a language server on stdio for editors other than VS Code (Neovim, Helix, Zed),
// bridging to the per-user daemon. Documents are mirrored here and forwarded; inline completion
// goes through as it is; textDocument/completion serves the same completion as a menu item; the
// refactors are code actions whose edit is computed on resolve (or by a command that applies it,
// for clients without resolve). Every request to the daemon carries the editor's cancellation.
import {
  type CancellationToken,
  type ClientCapabilities,
  type CodeAction,
  CodeActionKind,
  type Connection,
  type InitializeParams,
  type InitializeResult,
  type InlineCompletionList,
  MessageType,
  ResponseError,
  TextDocumentSyncKind,
  type WorkspaceEdit,
} from 'vscode-languageserver';
import { z } from 'zod';
import {
  COMPLETION_ACCEPTED_COMMAND,
  ErrorCodes,
  REFACTOR_CODE_ACTIONS,
  Range,
  RefactorKind,
  type RefactorResult,
} from '../../shared/protocol';
import type { DaemonClient } from '../cli/client';
import { DEFAULT_SERVER_LIMITS } from '../config';
import { DocumentStore } from '../documents';
import { firstCodeBlock } from '../prompts';
import { VERSION } from '../version';
import { completionItems } from './completion-items';
import { DaemonLink } from './daemon-link';

export const APPLY_REFACTOR_COMMAND = 'gearbox.applyRefactor';

/** What a refactor code action carries until it is resolved (or its command runs). */
const ActionData = z.object({ kind: RefactorKind, uri: z.string(), range: Range });
type ActionData = z.infer<typeof ActionData>;

export interface BridgeOptions {
  runtimeDir: string;
  startArgs: string[];
}

export class LspBridge {
  /** The editor's open documents, capped as the daemon caps a connection's (what is over is not mirrored). */
  private readonly docs = new DocumentStore({
    maxDocuments: DEFAULT_SERVER_LIMITS.maxOpenDocuments,
    maxChars: DEFAULT_SERVER_LIMITS.maxOpenDocumentChars,
  });
  private link: DaemonLink | undefined;
  private caps: ClientCapabilities = {};

  constructor(
    private readonly conn: Connection,
    private readonly opts: BridgeOptions,
  ) {
    this.register();
  }

  private log(message: string): void {
    void this.conn.sendNotification('window/logMessage', { type: MessageType.Log, message: `gearbox: ${message}` });
  }

  private register(): void {
    const c = this.conn;
    c.onInitialize((p) => this.initialize(p));
    // Connect (and start the daemon) right away, not on the first keystroke.
    c.onInitialized(() => void this.link?.get().catch((err: Error) => this.warn(err.message)));
    c.onShutdown(async () => {
      await this.link?.close();
    });
    c.onDidChangeConfiguration((p) => void this.forward('workspace/didChangeConfiguration', p));

    c.onDidOpenTextDocument((p) => {
      const d = p.textDocument;
      this.docs.open(d.uri, d.languageId, d.version, d.text);
      void this.forward('textDocument/didOpen', p);
    });
    c.onDidChangeTextDocument((p) => {
      this.docs.change(p.textDocument.uri, p.textDocument.version, p.contentChanges);
      void this.forward('textDocument/didChange', p);
    });
    c.onDidCloseTextDocument((p) => {
      this.docs.close(p.textDocument.uri);
      void this.forward('textDocument/didClose', p);
    });

    c.languages.inlineCompletion.on((p, token) => this.inline(p.textDocument.uri, p.position, token));
    c.onCompletion(async (p, token) => {
      const list = await this.inline(p.textDocument.uri, p.position, token);
      const item = list?.items[0];
      const text = typeof item?.insertText === 'string' ? item.insertText : (item?.insertText.value ?? '');
      const line = this.docs.get(p.textDocument.uri)?.getText({
        start: { line: p.position.line, character: 0 },
        end: p.position,
      });
      const snippets = !!this.caps.textDocument?.completion?.completionItem?.snippetSupport;
      // Incomplete: the editor asks again as the user types, and each answer is a fresh completion.
      return { isIncomplete: true, items: completionItems(line ?? '', p.position, text, { snippets }) };
    });

    c.onCodeAction((p): CodeAction[] => {
      const r = p.range;
      if (r.start.line === r.end.line && r.start.character === r.end.character) return [];
      const only = p.context.only;
      const resolves = !!this.caps.textDocument?.codeAction?.resolveSupport?.properties.includes('edit');
      return REFACTOR_CODE_ACTIONS.filter((a) => !only || only.some((k) => a.lspKind.startsWith(k))).map((a) => {
        const data: ActionData = { kind: a.kind, uri: p.textDocument.uri, range: r };
        // Explain has no edit: it always runs as a command that shows the answer.
        if (resolves && a.kind !== 'explain') return { title: a.title, kind: a.lspKind, data };
        return {
          title: a.title,
          kind: a.lspKind,
          command: { title: a.title, command: APPLY_REFACTOR_COMMAND, arguments: [data] },
        };
      });
    });
    c.onCodeActionResolve(async (action, token) => {
      const data = ActionData.safeParse(action.data);
      if (!data.success) return action;
      const edit = await this.refactorEdit(data.data, token);
      return edit ? { ...action, edit } : action;
    });
    c.onExecuteCommand(async (p, token) => {
      // An accepted inline completion: the daemon learns from it (the request is this bridge's).
      if (p.command === COMPLETION_ACCEPTED_COMMAND) {
        const d = await this.daemon();
        return d.connection.sendRequest('workspace/executeCommand', p, token);
      }
      if (p.command !== APPLY_REFACTOR_COMMAND)
        throw new ResponseError(ErrorCodes.InvalidParams, `unknown command ${p.command}`);
      const data = ActionData.safeParse(p.arguments?.[0]);
      if (!data.success) throw new ResponseError(ErrorCodes.InvalidParams, `${APPLY_REFACTOR_COMMAND}: bad arguments`);
      const edit = await this.refactorEdit(data.data, token);
      if (edit) await this.conn.workspace.applyEdit({ label: `Gearbox: ${data.data.kind}`, edit });
      return null;
    });
  }

  private initialize(p: InitializeParams): InitializeResult {
    this.caps = p.capabilities;
    const init = z
      .object({ settings: z.unknown().optional() })
      .passthrough()
      .safeParse(p.initializationOptions ?? {});
    const rootUri = p.workspaceFolders?.[0]?.uri ?? p.rootUri ?? undefined;
    const configuration = !!p.capabilities.workspace?.configuration;
    this.link = new DaemonLink({
      runtimeDir: this.opts.runtimeDir,
      startArgs: this.opts.startArgs,
      rootUri,
      settings: init.success ? init.data.settings : undefined,
      configuration,
      log: (m) => this.log(m),
      onConnection: (daemon) => {
        // The daemon asks for the `gearbox` settings section: the editor answers.
        daemon.onRequest('workspace/configuration', (params) =>
          this.conn.sendRequest('workspace/configuration', params),
        );
        daemon.onNotification(
          'window/showMessage',
          (params) => void this.conn.sendNotification('window/showMessage', params),
        );
        daemon.onNotification(
          'window/logMessage',
          (params) => void this.conn.sendNotification('window/logMessage', params),
        );
      },
      onConnected: async (client) => {
        for (const uri of this.openUris()) {
          const d = this.docs.get(uri)!;
          await client.connection.sendNotification('textDocument/didOpen', {
            textDocument: { uri, languageId: d.languageId, version: d.version, text: d.getText() },
          });
        }
      },
    });
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        inlineCompletionProvider: true,
        completionProvider: { resolveProvider: false, triggerCharacters: ['.', '(', '[', '{', ',', ':', '='] },
        codeActionProvider: {
          codeActionKinds: [CodeActionKind.Refactor, CodeActionKind.RefactorRewrite, CodeActionKind.RefactorExtract],
          resolveProvider: true,
        },
        executeCommandProvider: { commands: [APPLY_REFACTOR_COMMAND, COMPLETION_ACCEPTED_COMMAND] },
      },
      serverInfo: { name: 'gearbox', version: VERSION },
    };
  }

  private openUris(): string[] {
    return this.docs.uris();
  }

  private async daemon(): Promise<DaemonClient> {
    if (!this.link) throw new ResponseError(ErrorCodes.InvalidRequest, 'initialize first');
    try {
      return await this.link.get();
    } catch (err) {
      throw new ResponseError(ErrorCodes.InternalError, `Gearbox daemon unavailable: ${(err as Error).message}`);
    }
  }

  private async forward(method: string, params: unknown): Promise<void> {
    try {
      const d = await this.daemon();
      await d.connection.sendNotification(method, params);
    } catch (err) {
      this.log(`${method} not forwarded: ${(err as Error).message}`);
    }
  }

  private async inline(
    uri: string,
    position: { line: number; character: number },
    token: CancellationToken,
  ): Promise<InlineCompletionList | null> {
    const d = await this.daemon();
    return d.connection.sendRequest<InlineCompletionList | null>(
      'textDocument/inlineCompletion',
      { textDocument: { uri }, position, context: { triggerKind: 1 } },
      token,
    );
  }

  /** The refactor's edits as a WorkspaceEdit; explain shows its answer and returns none. */
  private async refactorEdit(data: ActionData, token: CancellationToken): Promise<WorkspaceEdit | undefined> {
    const d = await this.daemon();
    const res = (await d.connection.sendRequest(
      'gearbox/refactor',
      { kind: data.kind, uri: data.uri, range: data.range, languageId: this.docs.get(data.uri)?.languageId },
      token,
    )) as RefactorResult;
    if (data.kind === 'explain') {
      void this.conn.sendNotification('window/showMessage', { type: MessageType.Info, message: res.explanation });
      return undefined;
    }
    let edits = res.edits;
    // Tests come back as text: they go in below the selection.
    if (data.kind === 'tests') {
      const code = firstCodeBlock(res.explanation) ?? res.explanation;
      edits = [{ range: { start: data.range.end, end: data.range.end }, newText: `\n\n${code}\n` }];
    }
    return { changes: { [data.uri]: edits } };
  }

  private warn(message: string): void {
    void this.conn.sendNotification('window/showMessage', {
      type: MessageType.Warning,
      message: `Gearbox: ${message}`,
    });
  }
}
