// One LSP connection per WebSocket: document sync, inline completion, code actions and the
// custom gearbox/* methods. Everything a connection owns is disposed with it.
import 'vscode-jsonrpc/node'; // installs the Node runtime layer the common LSP modules need
import type WebSocket from 'ws';
import {
  CodeActionKind,
  MessageType,
  createConnection,
  createProtocolConnection,
  ResponseError,
  TextDocumentSyncKind,
  type CancellationToken,
  type ClientCapabilities,
  type CodeAction,
  type Connection,
  type InitializeResult,
  type InlineCompletionList,
  type WatchDog,
} from 'vscode-languageserver';
import { z } from 'zod';
import {
  COMPLETION_ACCEPTED_COMMAND,
  CompletionAcceptedArgs,
  ErrorCodes,
  LspParams,
  Protocol,
  REFACTOR_CODE_ACTIONS,
  type LspMethod,
  type LspParamsOf,
  type ChatChunkParams,
  type DocumentLimitData,
  type NotificationMethod,
  type RequestMethod,
  type ParamsOf,
  type ResultOf,
  type WorkspaceSettings,
} from '../shared/protocol';
import { WebSocketMessageReader, WebSocketMessageWriter } from '../shared/ws-transport';
import { ChunkSender } from './chunk-sender';
import { buildCompletionPrompt, cleanCompletion } from './completion-context';
import { CompletionPrefill } from './completion-prefill';
import { DocumentStore, documentLimitMessage } from './documents';
import type { Engine, RequestContext } from './engine';
import { VERSION } from './version';
import { GearboxError } from './gearbox-error';
import { DEFAULT_SERVER_LIMITS, type ServerLimits } from './config';
import type { Logger } from './log';
import { fileNameOf } from './uri';
import { sliceRange } from '../shared/text-range';
import { insertionPoint } from './prompts';
import { requestSignal, timeoutError, toResponseError } from './rpc-errors';
import { gateRequestParams, NamedParamsRequest, paramsAndToken, parseParams } from './rpc-params';
import { LogThrottle } from './log-throttle';
import type { CodebaseIndexes } from './codebase/indexes';
import { registerCodebaseHandlers, type WorkspaceFolder } from './codebase/session-handlers';
import { changeWorkspaceFolders, workspaceFoldersOf } from './codebase/workspace-folders';
import { WorkspaceSettingsSync } from './workspace-settings';
import type { ModelManager } from './models/manager';
import { registerModelRequests, type Handle } from './models/requests';
import { countForClient } from './tokens/count-request';

export interface SessionHost {
  engine: Engine;
  logger: Logger;
  port: () => number;
  clientCount: () => number;
  /** The config's `defaults`, read at each use: a config edit applies to open connections too. */
  defaults: () => WorkspaceSettings;
  timeouts: () => { completionMs: number; chatMs: number };
  /** A client asked the daemon to exit (gearbox stop). */
  requestShutdown: () => void;
  /** Rate limit and send-buffer limits (default: DEFAULT_SERVER_LIMITS). */
  limits?: ServerLimits;
  /** Code-search indexes (gearbox/index/*), shared by the connections. */
  codebase: CodebaseIndexes;
  /** The local model manager behind gearbox/models/* (absent: those methods are not offered). */
  models?: ModelManager;
}

const InitOptions = z
  .object({ clientName: z.string().optional(), settings: z.unknown().optional() })
  .passthrough()
  .optional();

let nextId = 1;

export class Session {
  readonly id = `c${nextId++}`;
  private readonly conn: Connection;
  private readonly docs: DocumentStore;
  /** The user is told once per connection that a document was not kept (the log says each time, throttled). */
  private toldDocumentLimit = false;
  private readonly refusedDocuments: LogThrottle;
  private readonly settings: WorkspaceSettingsSync;
  /** The client's workspace for the usage ledger: its workspace folders or rootUri, else 'cli'. */
  private workspaceId = 'cli';
  /** Every workspace folder (URIs as the client sent them): privatePaths are matched below each. */
  private workspaceRoots: string[] = [];
  /** Every local folder of a multi-root workspace (code search indexes each). */
  private workspaceFolders: WorkspaceFolder[] = [];
  private supportsWorkDoneProgress = false;
  private clientCapabilities?: ClientCapabilities;
  private codebase?: { dispose(): void };
  private readonly log: Logger;
  /** In-flight completion per document: a newer keystroke cancels the older request. */
  private readonly inflightCompletion = new Map<string, () => void>();
  private readonly prefill: CompletionPrefill;
  /** Aborts of this connection's chats and refactors in flight. */
  private readonly inflightRequests = new Set<() => void>();
  private closed = false;
  private readonly chunks: ChunkSender;
  /** Malformed notifications get no answer, only a log line: at most one per 10 s (and a count). */
  private readonly badNotifications: LogThrottle;

  constructor(
    socket: WebSocket,
    private readonly host: SessionHost,
    onClose: () => void,
  ) {
    this.log = host.logger.child({ conn: this.id });
    this.badNotifications = new LogThrottle(10_000, (count) =>
      this.log.warn('more malformed notifications ignored', { count }),
    );
    const limits = host.limits ?? DEFAULT_SERVER_LIMITS;
    this.docs = new DocumentStore({ maxDocuments: limits.maxOpenDocuments, maxChars: limits.maxOpenDocumentChars });
    this.refusedDocuments = new LogThrottle(10_000, (count) => this.log.warn('more documents not kept', { count }));
    const reader = new WebSocketMessageReader(socket, (reason) => this.log.warn('bad frame', { reason }), {
      rateLimit: {
        perSecond: limits.requestsPerSecond,
        burst: limits.requestBurst,
        errorCode: ErrorCodes.TooManyRequests,
      },
    });
    const writer = new WebSocketMessageWriter(socket, {
      highWaterBytes: limits.sendHighWaterBytes,
      stuckMs: limits.slowClientTimeoutMs,
      onStuck: (buffered) =>
        this.log.warn('client too slow: send buffer stayed full; disconnecting it (1013)', {
          bufferedBytes: buffered,
          timeoutMs: limits.slowClientTimeoutMs,
        }),
    });
    this.chunks = new ChunkSender(writer, (p) => this.notify('gearbox/chatChunk', p));
    // A per-socket watchdog: `exit` from one client closes that socket, never the daemon.
    const watchDog: WatchDog = {
      shutdownReceived: false,
      initialize: () => {},
      exit: () => socket.close(1000, 'exit'),
    };
    const gated = gateRequestParams(reader, writer, { initialize: LspParams.initialize });
    this.conn = createConnection((logger) => createProtocolConnection(gated, writer, logger), watchDog);
    this.settings = new WorkspaceSettingsSync(
      host.defaults,
      {
        pull: async () => (await this.conn.workspace.getConfiguration([{ section: 'gearbox' }]))[0],
        warn: (message) =>
          void this.conn.sendNotification('window/showMessage', { type: MessageType.Warning, message }).catch(() => {}),
      },
      this.log,
    );
    this.prefill = new CompletionPrefill({
      docs: this.docs,
      engine: host.engine,
      logger: this.log,
      sessionKey: (uri) => this.sessionKey(uri),
      completing: (uri) => this.inflightCompletion.has(uri),
    });
    socket.on('close', () => {
      if (this.closed) return;
      this.closed = true;
      for (const cancel of this.inflightCompletion.values()) cancel();
      this.prefill.dispose();
      this.badNotifications.flush();
      this.refusedDocuments.flush();
      this.chunks.close();
      for (const abort of this.inflightRequests) abort();
      host.engine.learning.forgetClient(this.id);
      this.codebase?.dispose();
      this.conn.dispose();
      void host.engine.modelHost.releaseSession(`${this.id}:`).catch(() => {});
      this.log.info('client disconnected');
      onClose();
    });
    this.register();
    this.registerCodebase();
    this.conn.listen();
  }

  private register(): void {
    const c = this.conn;
    // Its params were checked against LspParams.initialize on the way in (gateRequestParams).
    c.onInitialize((params): InitializeResult => {
      const init = InitOptions.safeParse(params.initializationOptions);
      this.settings.initialize(
        !!params.capabilities.workspace?.configuration,
        init.success ? init.data?.settings : undefined,
      );
      this.supportsWorkDoneProgress = !!params.capabilities.window?.workDoneProgress;
      this.clientCapabilities = params.capabilities;
      this.workspaceId = workspaceIdOf(params.workspaceFolders, params.rootUri);
      this.workspaceRoots = workspaceRootsOf(params.workspaceFolders, params.rootUri);
      this.workspaceFolders = workspaceFoldersOf(params.workspaceFolders, params.rootUri);
      // Registered now, not with the others: for a client that announces workspaceFolders (VS Code
      // does), vscode-languageserver's own feature has just taken this notification, and the last
      // handler registered is the one called (nothing reads the library's).
      this.lspNotification('workspace/didChangeWorkspaceFolders', ({ event }) => {
        const gone = new Set(event.removed.map((f) => f.uri));
        this.workspaceRoots = [...this.workspaceRoots.filter((u) => !gone.has(u)), ...event.added.map((f) => f.uri)];
        this.workspaceFolders = changeWorkspaceFolders(this.workspaceFolders, event);
      });
      this.log.info('client initialized', {
        client: params.clientInfo?.name ?? (init.success ? init.data?.clientName : undefined),
      });
      return {
        capabilities: {
          textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
          inlineCompletionProvider: true,
          codeActionProvider: {
            codeActionKinds: [CodeActionKind.Refactor, CodeActionKind.RefactorRewrite, CodeActionKind.RefactorExtract],
          },
          // Folders added later must count for privatePaths as much as the first ones.
          workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
          // Run by the editor when an inline completion is accepted (the item carries it).
          executeCommandProvider: { commands: [COMPLETION_ACCEPTED_COMMAND] },
        },
        serverInfo: { name: 'gearbox', version: VERSION },
      };
    });
    c.onInitialized(() => void this.settings.pull());
    this.lspNotification('workspace/didChangeConfiguration', (p) => void this.settings.changed(p.settings));

    this.lspNotification('textDocument/didOpen', (p) => {
      const { uri, languageId, version, text } = p.textDocument;
      const refused = this.docs.open(uri, languageId, version, text);
      if (refused) this.documentRefused(uri, refused);
    });
    this.lspNotification('textDocument/didChange', (p) => {
      const refused = this.docs.change(p.textDocument.uri, p.textDocument.version, p.contentChanges);
      if (refused) this.documentRefused(p.textDocument.uri, refused);
      else this.prefill.afterEdit(p.textDocument.uri, p.contentChanges);
    });
    this.lspNotification('textDocument/didClose', (p) => {
      this.inflightCompletion.get(p.textDocument.uri)?.();
      this.prefill.forget(p.textDocument.uri);
      this.docs.close(p.textDocument.uri);
    });

    // The editor says which region of a file the user selected or looked at before leaving it: a chunk of
    // the completion context (privacy rules apply to it in each prompt it reaches, as to every chunk).
    this.notification('gearbox/completion/pickContext', (p) => {
      this.docs.pickRegion(p.textDocument.uri, p.range, p.source);
    });

    this.lspRequest('textDocument/inlineCompletion', (params, token) =>
      this.inlineCompletion(params.textDocument.uri, params.position, token),
    );

    this.lspRequest('workspace/executeCommand', async (params) => {
      const args = CompletionAcceptedArgs.safeParse(params.arguments);
      if (params.command !== COMPLETION_ACCEPTED_COMMAND || !args.success)
        return new ResponseError(ErrorCodes.InvalidParams, `unknown command ${params.command.slice(0, 200)}`);
      await this.host.engine.learning.feedback(
        { requestId: args.data[0], signal: 'completion-accepted' },
        { client: this.id, settings: this.settings.current },
      );
      return null;
    });

    this.lspRequest('textDocument/codeAction', (params): CodeAction[] => {
      const r = params.range;
      if (r.start.line === r.end.line && r.start.character === r.end.character) return [];
      const only = params.context.only;
      return REFACTOR_CODE_ACTIONS.filter((a) => !only || only.some((k) => a.lspKind.startsWith(k))).map((a) => ({
        title: a.title,
        kind: a.lspKind,
        // The client shows a diff and applies the edit; the daemon only computes it (gearbox/refactor).
        command: {
          title: a.title,
          command: 'gearbox.refactor',
          arguments: [{ kind: a.kind, uri: params.textDocument.uri, range: r }],
        },
      }));
    });

    this.handle('gearbox/status', async () =>
      this.host.engine.status({ port: this.host.port(), clients: this.host.clientCount() }),
    );
    this.handle('gearbox/tokens/count', async (p) =>
      countForClient(this.host.engine.tokens, await this.host.engine.catalog(), p),
    );
    this.handle('gearbox/models', async (p) => {
      const all = await this.host.engine.catalog();
      return { models: p?.task ? all.filter((m) => m.tasks.includes(p.task!)) : all };
    });
    this.handle('gearbox/route', async (p) => {
      const selectionText = p.context ? this.contextText(p.context) : undefined;
      return this.host.engine.route(p, this.privacyScope(), { selectionText });
    });
    this.handle('gearbox/setKeys', async (p) => ({
      providersWithKeys: this.host.engine.setKeys(p.keys, p.endpoints),
    }));
    this.handle('gearbox/usage', async (p) =>
      this.host.engine.ledger.usage(p, {
        workspaceId: this.workspaceId,
        caps: this.settings.current.budget ?? { dailyUsd: 0, monthlyUsd: 0 },
      }),
    );
    this.handle('gearbox/feedback', async (p) =>
      this.host.engine.learning.feedback(p, { client: this.id, settings: this.settings.current }),
    );
    this.handle('gearbox/routing/stats', async (p) =>
      this.host.engine.learning.stats(p, { workspaceId: this.workspaceId, settings: this.settings.current }),
    );
    this.handle('gearbox/routing/reset', async () => this.host.engine.learning.reset());
    if (this.host.models) {
      const handle: Handle = (method, fn) => this.handle(method, fn);
      const ids = async () => new Set((await this.host.engine.catalog()).map((m) => m.id));
      registerModelRequests(handle, this.host.models, ids);
    }
    this.handle('gearbox/shutdown', async () => {
      // What was recorded is on disk before the client hears that the daemon is going.
      await this.host.engine.ledger.flush();
      setImmediate(() => this.host.requestShutdown());
      return { ok: true };
    });
    this.handle('gearbox/chat', (p, token) =>
      this.withSignal(token, this.host.timeouts().chatMs, 'Chat', (ctx) => {
        let first = true;
        return this.host.engine
          .chat(p, {
            ...ctx,
            codeText: p.context ? this.contextText(p.context) : undefined,
            fileName: p.context?.uri ? fileNameOf(p.context.uri) : undefined,
            onDelta: (delta, model) => {
              this.chunks.send({ streamId: p.streamId, delta, ...(first ? { model } : {}) });
              first = false;
            },
          })
          .finally(() => this.chunks.end(p.streamId));
      }),
    );
    this.handle('gearbox/refactor', (p, token) =>
      this.withSignal(token, this.host.timeouts().chatMs, 'Refactor', (ctx) => {
        const text = p.text ?? this.docs.get(p.uri)?.getText();
        if (text === undefined) throw this.notOpen(p.uri, 'and no text was sent');
        const code = sliceRange(text, p.range);
        let first = true;
        return this.host.engine
          .refactor(p, code, {
            ...ctx,
            fileName: fileNameOf(p.uri),
            ...(code ? {} : { insertAt: insertionPoint(text, p.range.start) }),
            onDelta: p.streamId
              ? (delta, model) => {
                  this.chunks.send({ streamId: p.streamId!, delta, ...(first ? { model } : {}) });
                  first = false;
                }
              : undefined,
          })
          .finally(() => p.streamId && this.chunks.end(p.streamId));
      }),
    );
  }

  private registerCodebase(): void {
    this.codebase = registerCodebaseHandlers({
      conn: this.conn,
      indexes: this.host.codebase,
      log: this.log,
      handle: (method, fn) => this.handle(method, fn),
      lspNotification: (method, fn) => this.lspNotification(method, fn),
      client: () => ({
        folders: this.workspaceFolders,
        settings: this.settings.current,
        capabilities: this.clientCapabilities,
      }),
    });
  }

  /** Registers a custom request whose params and result are validated against the protocol. */
  private handle<M extends RequestMethod>(
    method: M,
    fn: (params: ParamsOf<M>, token: CancellationToken) => Promise<ResultOf<M>>,
  ): void {
    const entry = Protocol[method] as unknown as { params: z.ZodType; result: z.ZodType };
    this.conn.onRequest(new NamedParamsRequest<unknown>(method), async (...args: unknown[]) => {
      const { raw, token } = paramsAndToken(args);
      const parsed = parseParams(entry.params, method, raw);
      if (!parsed.ok) return parsed.error;
      try {
        const result = await fn(parsed.data as ParamsOf<M>, token);
        const checked = entry.result.safeParse(result);
        if (!checked.success) {
          this.log.error('handler produced an invalid result', { method, issues: checked.error.issues.slice(0, 5) });
          return new ResponseError(ErrorCodes.InternalError, `Internal error: ${method} produced an invalid result`);
        }
        return checked.data;
      } catch (err) {
        const re = toResponseError(err);
        if (re.code !== ErrorCodes.RequestCancelled)
          this.log.warn('request failed', { method, code: re.code, error: re.message });
        return re;
      }
    });
  }

  /** Registers a standard LSP request: params by name, checked against LspParams before `fn` runs. */
  private lspRequest<M extends LspMethod, R>(
    method: M,
    fn: (params: LspParamsOf<M>, token: CancellationToken) => R | Promise<R>,
  ): void {
    this.conn.onRequest(new NamedParamsRequest<unknown>(method), async (...args: unknown[]) => {
      const { raw, token } = paramsAndToken(args);
      const parsed = parseParams(LspParams[method], method, raw);
      if (!parsed.ok) return parsed.error;
      return fn(parsed.data as LspParamsOf<M>, token);
    });
  }

  /** Registers a standard LSP notification; one whose params do not fit LspParams is ignored (and logged). */
  private lspNotification<M extends LspMethod>(method: M, fn: (params: LspParamsOf<M>) => void): void {
    this.conn.onNotification(method, (raw: unknown) => {
      const parsed = parseParams(LspParams[method], method, raw);
      if (parsed.ok) fn(parsed.data as LspParamsOf<M>);
      else this.badNotifications.hit(() => this.log.warn('notification ignored', { error: parsed.error.message }));
    });
  }

  /** Registers a gearbox/* notification from the client; one whose params do not fit is ignored (and logged). */
  private notification<M extends NotificationMethod>(method: M, fn: (params: ParamsOf<M>) => void): void {
    const schema = (Protocol[method] as unknown as { params: z.ZodType }).params;
    this.conn.onNotification(method, (raw: unknown) => {
      const parsed = parseParams(schema, method, raw);
      if (parsed.ok) fn(parsed.data as ParamsOf<M>);
      else this.badNotifications.hit(() => this.log.warn('notification ignored', { error: parsed.error.message }));
    });
  }

  notify<M extends NotificationMethod>(method: M, params: ParamsOf<M>): void {
    if (this.closed) return;
    void this.conn.sendNotification(method, params as ChatChunkParams).catch(() => {});
  }

  private async withSignal<T>(
    token: CancellationToken,
    timeoutMs: number,
    what: string,
    fn: (ctx: RequestContext) => Promise<T>,
  ): Promise<T> {
    const rs = requestSignal(token, timeoutMs);
    // Dropping the connection does not cancel its requests' tokens: abort them ourselves on close,
    // so that a chat whose client left stops generating (and stops billing) at once.
    this.inflightRequests.add(rs.abort);
    try {
      return await fn({
        settings: this.settings.current,
        signal: rs.signal,
        onProgress: this.progressReporter(),
        workspace: this.workspaceId,
        workspaceRoots: this.workspaceRoots,
        client: this.id,
      });
    } catch (err) {
      if (rs.timedOut()) throw timeoutError(what, timeoutMs);
      throw err;
    } finally {
      this.inflightRequests.delete(rs.abort);
      rs.dispose();
    }
  }

  private async inlineCompletion(
    uri: string,
    position: { line: number; character: number },
    token: CancellationToken,
  ): Promise<InlineCompletionList | null> {
    const doc = this.docs.get(uri);
    if (!doc) throw toResponseError(this.notOpen(uri, '(send textDocument/didOpen first)'));
    this.inflightCompletion.get(uri)?.();
    const rs = requestSignal(token, this.host.timeouts().completionMs);
    this.inflightCompletion.set(uri, rs.abort);
    const started = Date.now();
    try {
      const text = doc.getText();
      const prompt = buildCompletionPrompt(text, doc.offsetAt(position), uri, this.docs.completionContext(uri));
      const out = await this.host.engine.complete(
        {
          sessionKey: this.sessionKey(uri),
          uri,
          filePrefix: prompt.filePrefix,
          suffix: prompt.suffix,
          context: prompt.context,
          multiline: prompt.multiline,
          languageId: doc.languageId,
          fileName: fileNameOf(uri),
        },
        {
          settings: this.settings.current,
          signal: rs.signal,
          onProgress: this.progressReporter(),
          workspace: this.workspaceId,
          workspaceRoots: this.workspaceRoots,
          client: this.id,
        },
      );
      if (out.evaluatedPromptTokens !== undefined) this.prefill.completedWith(uri, out.model);
      const insertText = cleanCompletion(out.text, prompt);
      this.log.debug('completion', {
        model: out.model,
        ms: Date.now() - started,
        chars: insertText.length,
        rawChars: out.text.length,
        evaluated: out.evaluatedPromptTokens,
      });
      if (!insertText) return { items: [] };
      // The editor runs the command when the suggestion is accepted: feedback for the router.
      const command = { title: 'Gearbox: completion accepted', command: COMPLETION_ACCEPTED_COMMAND };
      return {
        items: [
          {
            insertText,
            range: { start: position, end: position },
            command: { ...command, arguments: [out.requestId] },
          },
        ],
      };
    } catch (err) {
      if (rs.timedOut()) throw toResponseError(timeoutError('Completion', this.host.timeouts().completionMs));
      throw toResponseError(err);
    } finally {
      rs.dispose();
      if (this.inflightCompletion.get(uri) === rs.abort) this.inflightCompletion.delete(uri);
    }
  }

  /** What the privacy rules need to know about this connection: its settings and workspace folders. */
  private privacyScope(): { settings: WorkspaceSettings; workspaceRoots: readonly string[] } {
    return { settings: this.settings.current, workspaceRoots: this.workspaceRoots };
  }

  /** A document over this connection's cap was not kept (or was dropped): nothing of it stays. */
  private documentRefused(uri: string, refused: DocumentLimitData): void {
    this.inflightCompletion.get(uri)?.();
    this.prefill.forget(uri);
    const message = documentLimitMessage(fileNameOf(uri), refused);
    this.refusedDocuments.hit(() => this.log.warn('document not kept', { reason: refused.reason }));
    if (this.toldDocumentLimit) return;
    this.toldDocumentLimit = true;
    void this.conn
      .sendNotification('window/showMessage', { type: MessageType.Warning, message: `Gearbox: ${message}` })
      .catch(() => {});
  }

  /** The error for a request on a document the daemon does not hold: refused over the cap, or never opened. */
  private notOpen(uri: string, hint: string): GearboxError {
    const refused = this.docs.refused(uri);
    if (refused) return new GearboxError(ErrorCodes.DocumentLimit, documentLimitMessage(uri, refused), refused);
    return new GearboxError(ErrorCodes.DocumentNotOpen, `Document ${uri} is not open on the daemon ${hint}`);
  }

  /** The model host session of a document: completions and warm-ups of one file share its cache. */
  private sessionKey(uri: string): string {
    return `${this.id}:${uri}`;
  }

  /** Model-load progress: a gearbox/modelProgress notification, and window/workDoneProgress when supported. */
  private progressReporter(): RequestContext['onProgress'] {
    let reporter: Promise<{ report(p: number, m?: string): void; done(): void } | undefined> | undefined;
    return (model, phase, progress) => {
      this.notify('gearbox/modelProgress', { model, phase, progress: Math.max(0, Math.min(1, progress)) });
      if (!this.supportsWorkDoneProgress) return;
      reporter ??= this.conn.window
        .createWorkDoneProgress()
        .then((r) => {
          r.begin(`Gearbox: loading ${model}`, 0, undefined, false);
          return r;
        })
        .catch(() => undefined);
      void reporter.then((r) => {
        if (!r) return;
        if (progress >= 1 && phase === 'load') r.done();
        else r.report(Math.round(progress * 100), phase === 'download' ? 'downloading' : 'loading');
      });
    };
  }

  private contextText(ctx: {
    uri?: string;
    text?: string;
    selection?: { start: { line: number; character: number }; end: { line: number; character: number } };
  }): string | undefined {
    const text = ctx.text ?? (ctx.uri ? this.docs.get(ctx.uri)?.getText() : undefined);
    if (text === undefined) return undefined;
    return ctx.selection ? sliceRange(text, ctx.selection) : text;
  }
}

/** A stable id for an LSP client's workspace: its folder URIs (sorted), else rootUri, else 'cli'. */
export function workspaceIdOf(
  folders: { uri: string }[] | null | undefined,
  rootUri: string | null | undefined,
): string {
  const uris = (folders ?? []).map((f) => f.uri).filter((u) => typeof u === 'string' && u.length > 0);
  if (uris.length) return [...new Set(uris)].sort().join(' ').slice(0, 4000);
  return rootUri ? rootUri.slice(0, 4000) : 'cli';
}

/** Every workspace folder's URI (else rootUri): relative privatePaths globs are matched below each. */
function workspaceRootsOf(folders: { uri: string }[] | null | undefined, rootUri: string | null | undefined): string[] {
  const uris = (folders ?? []).map((f) => f.uri).filter((u) => typeof u === 'string' && u.length > 0);
  return uris.length ? uris : rootUri ? [rootUri] : [];
}
