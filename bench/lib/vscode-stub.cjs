// A minimal fake of the `vscode` module, enough for the Gearbox bundle to load and for activate()
// to run in plain Node (bench/activation.ts) — and for the inline-completion middleware's cache
// path to be timed in-process (bench/completion-cache.ts). The parts the extension really uses
// (EventEmitter, Disposable, Uri, Range/Position, configuration, output channel, status bar item,
// ExtensionContext) are real small implementations; everything else is a Proxy that accepts any
// property access, call or `new` and returns another such proxy (never a thenable), so that the
// breadth of vscode-languageclient's API use does not need spelling out.
//
//   const { install, makeContext } = require('./vscode-stub.cjs');
//   install();                        // require('vscode') now returns the fake
//   const ext = require('dist/extension/extension.cjs');
//   ext.activate(makeContext({ extensionPath, config: { 'gearbox.daemon.runtimeDir': dir } }));
'use strict';
const Module = require('node:module');
const path = require('node:path');

/** Any-shaped value: callable, constructible, every property is another one; not a thenable. */
function anything(name = 'vscode') {
  const fn = () => {};
  return new Proxy(fn, {
    get(_t, prop) {
      if (prop === 'then') return undefined; // not a promise: `await` must not hang on it
      if (prop === Symbol.toPrimitive) return () => 0;
      if (prop === Symbol.iterator) return function* () {};
      if (prop === 'toString' || prop === Symbol.toStringTag) return () => `[stub ${name}]`;
      if (prop === 'prototype') return fn.prototype;
      if (prop === 'dispose') return () => undefined;
      if (prop === 'length') return 0;
      return anything(`${name}.${String(prop)}`);
    },
    apply() {
      return anything(`${name}()`);
    },
    construct() {
      return anything(`new ${name}`);
    },
    set() {
      return true;
    },
    has() {
      return true;
    },
  });
}

class Disposable {
  constructor(fn) {
    this._fn = fn;
  }
  static from(...items) {
    return new Disposable(() => items.forEach((d) => d && typeof d.dispose === 'function' && d.dispose()));
  }
  dispose() {
    const f = this._fn;
    this._fn = undefined;
    if (typeof f === 'function') f();
  }
}

class EventEmitter {
  constructor() {
    this._listeners = new Set();
    this.event = (listener, thisArg, disposables) => {
      const l = thisArg ? listener.bind(thisArg) : listener;
      this._listeners.add(l);
      const d = new Disposable(() => this._listeners.delete(l));
      if (Array.isArray(disposables)) disposables.push(d);
      return d;
    };
  }
  fire(e) {
    for (const l of [...this._listeners]) l(e);
  }
  dispose() {
    this._listeners.clear();
  }
}

/** An `onDidX` event that never fires. */
const noEvent = (_listener, _thisArg, disposables) => {
  const d = new Disposable(() => undefined);
  if (Array.isArray(disposables)) disposables.push(d);
  return d;
};

class Uri {
  constructor(scheme, authority, p, query, fragment) {
    this.scheme = scheme;
    this.authority = authority ?? '';
    this.path = p ?? '';
    this.query = query ?? '';
    this.fragment = fragment ?? '';
  }
  get fsPath() {
    return this.path;
  }
  static file(p) {
    return new Uri('file', '', p);
  }
  static parse(s) {
    const m = /^([a-z][\w+.-]*):(?:\/\/([^/]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/i.exec(s);
    return m ? new Uri(m[1], m[2], m[3], m[4], m[5]) : new Uri('file', '', s);
  }
  static from(c) {
    return new Uri(c.scheme, c.authority, c.path, c.query, c.fragment);
  }
  static joinPath(base, ...parts) {
    return base.with({ path: path.posix.join(base.path, ...parts) });
  }
  with(c) {
    return new Uri(
      c.scheme ?? this.scheme,
      c.authority ?? this.authority,
      c.path ?? this.path,
      c.query ?? this.query,
      c.fragment ?? this.fragment,
    );
  }
  toString() {
    const query = this.query ? `?${this.query}` : '';
    const fragment = this.fragment ? `#${this.fragment}` : '';
    return `${this.scheme}://${this.authority}${this.path}${query}${fragment}`;
  }
  toJSON() {
    return {
      scheme: this.scheme,
      authority: this.authority,
      path: this.path,
      query: this.query,
      fragment: this.fragment,
    };
  }
}

class Position {
  constructor(line, character) {
    this.line = line;
    this.character = character;
  }
  isEqual(o) {
    return o.line === this.line && o.character === this.character;
  }
  translate(dl = 0, dc = 0) {
    return new Position(this.line + dl, this.character + dc);
  }
}

class Range {
  constructor(a, b, c, d) {
    if (typeof a === 'number') {
      this.start = new Position(a, b);
      this.end = new Position(c, d);
    } else {
      this.start = a;
      this.end = b;
    }
  }
  get isEmpty() {
    return this.start.isEqual(this.end);
  }
}

class Selection extends Range {
  constructor(a, b, c, d) {
    super(a, b, c, d);
    this.anchor = this.start;
    this.active = this.end;
  }
}

class InlineCompletionItem {
  constructor(insertText, range, command) {
    this.insertText = insertText;
    this.range = range;
    this.command = command;
  }
}

class InlineCompletionList {
  constructor(items) {
    this.items = items;
  }
}

class MarkdownString {
  constructor(value = '') {
    this.value = value;
  }
  appendMarkdown(s) {
    this.value += s;
    return this;
  }
  appendText(s) {
    this.value += s;
    return this;
  }
}

class ThemeColor {
  constructor(id) {
    this.id = id;
  }
}
class ThemeIcon {
  constructor(id) {
    this.id = id;
  }
}

class CancellationTokenSource {
  constructor() {
    const emitter = new EventEmitter();
    this._emitter = emitter;
    this.token = { isCancellationRequested: false, onCancellationRequested: emitter.event };
  }
  cancel() {
    if (this.token.isCancellationRequested) return;
    this.token.isCancellationRequested = true;
    this._emitter.fire();
  }
  dispose() {
    this._emitter.dispose();
  }
}

class WorkspaceEdit {
  constructor() {
    this._edits = [];
  }
  replace(uri, range, text) {
    this._edits.push({ uri, range, text });
  }
  insert(uri, pos, text) {
    this._edits.push({ uri, range: new Range(pos, pos), text });
  }
}

/** Configuration values by full key ('gearbox.daemon.runtimeDir'); everything else: the default. */
const configValues = new Map();

function getConfiguration(section) {
  const full = (key) => (section ? `${section}.${key}` : key);
  return {
    get(key, def) {
      const k = full(key);
      return configValues.has(k) ? configValues.get(k) : def;
    },
    has(key) {
      return configValues.has(full(key));
    },
    inspect() {
      return undefined;
    },
    update: async (key, value) => {
      configValues.set(full(key), value);
    },
  };
}

const LEVELS = { Off: 0, Trace: 1, Debug: 2, Info: 3, Warning: 4, Error: 5 };

/** Log lines written to fake output channels (the activation bench reads `activated in X ms` here). */
const logLines = [];

function createOutputChannel(name) {
  const write = (level) => (msg) => logLines.push(`[${level}] ${name}: ${msg}`);
  return {
    name,
    logLevel: LEVELS.Info,
    onDidChangeLogLevel: noEvent,
    // A LogOutputChannel ({ log: true }) at its default level (info): trace and debug write nothing.
    trace: () => undefined,
    debug: () => undefined,
    info: write('info'),
    warn: write('warn'),
    error: (e) => write('error')(e instanceof Error ? e.message : String(e)),
    append: write('append'),
    appendLine: write('line'),
    replace: () => undefined,
    clear: () => undefined,
    show: () => undefined,
    hide: () => undefined,
    dispose: () => undefined,
  };
}

function createStatusBarItem(id) {
  return {
    id,
    text: '',
    tooltip: undefined,
    name: undefined,
    command: undefined,
    backgroundColor: undefined,
    show() {},
    hide() {},
    dispose() {},
  };
}

const commandsRegistry = new Map();
const registeredProviders = [];

const window = new Proxy(
  {
    createOutputChannel,
    createStatusBarItem,
    registerWebviewViewProvider: (id, provider) => {
      registeredProviders.push({ kind: 'webviewView', id, provider });
      return new Disposable(() => undefined);
    },
    showInformationMessage: async () => undefined,
    showWarningMessage: async () => undefined,
    showErrorMessage: async () => undefined,
    withProgress: async (_o, task) => task({ report() {} }, new CancellationTokenSource().token),
    activeTextEditor: undefined,
    visibleTextEditors: [],
    onDidChangeActiveTextEditor: noEvent,
    onDidChangeTextEditorSelection: noEvent,
    onDidChangeVisibleTextEditors: noEvent,
    onDidChangeWindowState: noEvent,
    state: { focused: true },
    tabGroups: { all: [], onDidChangeTabs: noEvent, onDidChangeTabGroups: noEvent },
  },
  {
    get: (t, p) =>
      p in t ? t[p] : typeof p === 'string' && p.startsWith('onDid') ? noEvent : anything(`window.${String(p)}`),
  },
);

const workspace = new Proxy(
  {
    getConfiguration,
    workspaceFolders: undefined,
    textDocuments: [],
    notebookDocuments: [],
    name: undefined,
    isTrusted: true,
    registerTextDocumentContentProvider: (scheme, provider) => {
      registeredProviders.push({ kind: 'textDocumentContent', id: scheme, provider });
      return new Disposable(() => undefined);
    },
    asRelativePath: (p) => (typeof p === 'string' ? p : p.fsPath),
    getWorkspaceFolder: () => undefined,
    createFileSystemWatcher: () => ({ onDidCreate: noEvent, onDidChange: noEvent, onDidDelete: noEvent, dispose() {} }),
  },
  {
    get: (t, p) =>
      p in t
        ? t[p]
        : (typeof p === 'string' && p.startsWith('onDid')) || p === 'onWillSaveTextDocument'
          ? noEvent
          : anything(`workspace.${String(p)}`),
  },
);

const commands = {
  registerCommand(id, fn) {
    commandsRegistry.set(id, fn);
    return new Disposable(() => commandsRegistry.delete(id));
  },
  registerTextEditorCommand(id, fn) {
    return commands.registerCommand(id, fn);
  },
  executeCommand: async (id, ...args) => {
    const f = commandsRegistry.get(id);
    return f ? f(...args) : undefined;
  },
  getCommands: async () => [...commandsRegistry.keys()],
};

const languages = new Proxy(
  { match: () => 10 },
  {
    get: (t, p) => {
      if (p in t) return t[p];
      if (typeof p === 'string' && p.startsWith('register')) {
        return (selector, provider) => {
          registeredProviders.push({ kind: p, id: selector, provider });
          return new Disposable(() => undefined);
        };
      }
      if (typeof p === 'string' && p.startsWith('onDid')) return noEvent;
      return anything(`languages.${String(p)}`);
    },
  },
);

const enums = {
  StatusBarAlignment: { Left: 1, Right: 2 },
  ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
  ConfigurationTarget: { Global: 1, Workspace: 2, WorkspaceFolder: 3 },
  InlineCompletionTriggerKind: { Invoke: 0, Automatic: 1 },
  QuickPickItemKind: { Separator: -1, Default: 0 },
  ViewColumn: { Active: -1, Beside: -2, One: 1, Two: 2, Three: 3 },
  ExtensionMode: { Production: 1, Development: 2, Test: 3 },
  LogLevel: LEVELS,
  EndOfLine: { LF: 1, CRLF: 2 },
  DiagnosticSeverity: { Error: 0, Warning: 1, Information: 2, Hint: 3 },
  CodeActionTriggerKind: { Invoke: 1, Automatic: 2 },
  UIKind: { Desktop: 1, Web: 2 },
};

const base = {
  version: '1.91.0',
  Disposable,
  EventEmitter,
  Uri,
  Position,
  Range,
  Selection,
  InlineCompletionItem,
  InlineCompletionList,
  MarkdownString,
  ThemeColor,
  ThemeIcon,
  CancellationTokenSource,
  WorkspaceEdit,
  CodeActionKind: new Proxy(
    { Empty: { value: '' } },
    { get: (t, p) => (p in t ? t[p] : { value: String(p), append: () => anything('CodeActionKind') }) },
  ),
  window,
  workspace,
  commands,
  languages,
  env: new Proxy(
    {
      appName: 'Stub Code',
      language: 'en',
      machineId: 'stub',
      sessionId: 'stub',
      uiKind: 1,
      clipboard: { readText: async () => '', writeText: async () => undefined },
    },
    { get: (t, p) => (p in t ? t[p] : anything(`env.${String(p)}`)) },
  ),
  extensions: { getExtension: () => undefined, all: [], onDidChange: noEvent },
  ...enums,
};

/** The fake module: the real parts above, a proxy for the rest. */
const vscode = new Proxy(base, { get: (t, p) => (p in t ? t[p] : anything(String(p))) });

function readPackageJson(dir) {
  try {
    return JSON.parse(require('node:fs').readFileSync(path.join(dir, 'package.json'), 'utf8'));
  } catch {
    return {};
  }
}

function memento() {
  const m = new Map();
  return {
    get: (k, d) => (m.has(k) ? m.get(k) : d),
    update: async (k, v) => void m.set(k, v),
    keys: () => [...m.keys()],
    setKeysForSync() {},
  };
}

/** A fake ExtensionContext; `config` holds configuration values by full key. */
function makeContext({ extensionPath, storageDir = extensionPath, config = {} } = {}) {
  for (const [k, v] of Object.entries(config)) configValues.set(k, v);
  const secrets = new Map();
  return {
    subscriptions: [],
    extensionPath,
    extensionUri: Uri.file(extensionPath),
    extensionMode: 1,
    globalState: memento(),
    workspaceState: memento(),
    secrets: {
      get: async (k) => secrets.get(k),
      store: async (k, v) => void secrets.set(k, v),
      delete: async (k) => void secrets.delete(k),
      onDidChange: noEvent,
    },
    storageUri: Uri.file(path.join(storageDir, 'ws')),
    globalStorageUri: Uri.file(path.join(storageDir, 'global')),
    logUri: Uri.file(path.join(storageDir, 'log')),
    storagePath: path.join(storageDir, 'ws'),
    globalStoragePath: path.join(storageDir, 'global'),
    logPath: path.join(storageDir, 'log'),
    asAbsolutePath: (rel) => path.join(extensionPath, rel),
    environmentVariableCollection: anything('environmentVariableCollection'),
    extension: {
      id: 'gearbox.gearbox',
      extensionPath,
      extensionUri: Uri.file(extensionPath),
      packageJSON: readPackageJson(extensionPath),
    },
  };
}

const STUB_ID = path.join(__dirname, '__vscode_stub__.cjs');

/** Makes require('vscode') return the fake, in this process. */
function install() {
  const orig = Module._resolveFilename;
  if (orig.__gearboxStub) return vscode;
  const patched = function (request, ...rest) {
    if (request === 'vscode') return STUB_ID;
    return orig.call(this, request, ...rest);
  };
  patched.__gearboxStub = true;
  Module._resolveFilename = patched;
  const m = new Module(STUB_ID);
  m.filename = STUB_ID;
  m.loaded = true;
  m.exports = vscode;
  require.cache[STUB_ID] = m;
  return vscode;
}

module.exports = {
  install,
  makeContext,
  vscode,
  logLines,
  commandsRegistry,
  registeredProviders,
  configValues,
  CancellationTokenSource,
};
