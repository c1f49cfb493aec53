// API keys: "Gearbox: Set API Key" / "Remove API Keys". Keys live in SecretStorage (the system
// keychain), endpoint definitions in globalState; both are sent to the daemon with gearbox/setKeys,
// which keeps them in memory only, so syncKeys() runs after every (re)connection. Never log a key.
import * as vscode from 'vscode';
import type { GearboxClient } from './client-api';
import type { EndpointConfig, ModelInfo } from '../shared/protocol';
import {
  BUILTIN_PROVIDERS,
  buildProviderItems,
  buildSetKeysParams,
  ENDPOINTS_STATE,
  KEYCHAIN_UNAVAILABLE_MESSAGE,
  makeEndpoint,
  maskKey,
  parseModelNames,
  parseStoredEndpoints,
  parseStoredProviders,
  secretName,
  STORED_PROVIDERS_STATE,
  upsertEndpoint,
  validateBaseUrl,
  validateEndpointId,
  validateModelNames,
} from './core/keys-logic';
import { providerDisplayName } from './core/model-items';
import { errorMessage } from './core/refactor-logic';

export function registerKeyCommands(
  context: vscode.ExtensionContext,
  client: GearboxClient,
): { syncKeys(): Promise<void> } {
  let keychainWarned = false;
  const keychainFailed = (err: unknown): void => {
    client.log.warn(`SecretStorage unavailable: ${errorMessage(err)}`);
    if (keychainWarned) return;
    keychainWarned = true;
    void vscode.window.showWarningMessage(KEYCHAIN_UNAVAILABLE_MESSAGE);
  };

  const storedProviders = (): string[] => parseStoredProviders(context.globalState.get(STORED_PROVIDERS_STATE));
  const endpoints = (): EndpointConfig[] => parseStoredEndpoints(context.globalState.get(ENDPOINTS_STATE));

  /** Stored keys, or undefined when SecretStorage fails (already reported). */
  const readKeys = async (): Promise<Map<string, string> | undefined> => {
    const keys = new Map<string, string>();
    try {
      for (const p of storedProviders()) {
        const k = await context.secrets.get(secretName(p));
        if (k) keys.set(p, k);
      }
    } catch (err) {
      keychainFailed(err);
      return undefined;
    }
    return keys;
  };

  /**
   * Sends keys/endpoints; when the daemon rejects the batch (e.g. a provider it no longer knows),
   * retries one by one.
   */
  const send = async (keys: Map<string, string>, eps: EndpointConfig[]): Promise<string | undefined> => {
    const params = buildSetKeysParams(keys, eps);
    if (!params) return undefined;
    try {
      await client.request('gearbox/setKeys', params);
      return undefined;
    } catch (err) {
      const first = errorMessage(err);
      if (keys.size + eps.length <= 1) return first;
      client.log.warn(`gearbox/setKeys failed for the whole batch (${first}); retrying one by one`);
      const failures: string[] = [];
      for (const e of eps) {
        try {
          await client.request('gearbox/setKeys', { keys: {}, endpoints: [e] });
        } catch (err2) {
          failures.push(`${e.id}: ${errorMessage(err2)}`);
        }
      }
      for (const [p, k] of keys) {
        try {
          await client.request('gearbox/setKeys', { keys: { [p]: k } });
        } catch (err2) {
          failures.push(`${p}: ${errorMessage(err2)}`);
        }
      }
      return failures.length ? failures.join('; ') : undefined;
    }
  };

  const syncKeys = async (): Promise<void> => {
    const keys = (await readKeys()) ?? new Map<string, string>();
    const failure = await send(keys, endpoints());
    if (failure) client.log.warn(`Could not send stored API keys to the daemon: ${failure}`);
    else if (keys.size) client.log.info(`Sent stored API keys to the daemon for: ${[...keys.keys()].join(', ')}`);
  };

  const catalog = async (): Promise<ModelInfo[]> => {
    try {
      return (await client.request('gearbox/models', {})).models;
    } catch (err) {
      client.log.warn(`gearbox/models failed: ${errorMessage(err)}`);
      return [];
    }
  };

  const maskedMap = (keys: Map<string, string> | undefined): Map<string, string> =>
    new Map([...(keys ?? new Map<string, string>())].map(([p, k]) => [p, maskKey(k)]));

  const askEndpoint = async (models: ModelInfo[]): Promise<{ endpoint: EndpointConfig } | undefined> => {
    const title = 'Gearbox: OpenAI-compatible endpoint';
    const reserved = [
      ...new Set([...BUILTIN_PROVIDERS, ...models.filter((m) => !m.local).map((m) => m.provider)]),
    ].filter((p) => !endpoints().some((e) => e.id === p));
    const id = await vscode.window.showInputBox({
      title: `${title} (1/4)`,
      prompt: 'An id for this endpoint (model ids become <id>/<model>)',
      placeHolder: 'e.g. ollama, work-vllm',
      ignoreFocusOut: true,
      validateInput: (v) => validateEndpointId(v, reserved),
    });
    if (id === undefined) return undefined;
    const existing = endpoints().find((e) => e.id === id.trim());
    const baseUrl = await vscode.window.showInputBox({
      title: `${title} (2/4)`,
      prompt: 'Base URL of the OpenAI-compatible API',
      placeHolder: 'e.g. http://localhost:11434/v1',
      value: existing?.baseUrl,
      ignoreFocusOut: true,
      validateInput: validateBaseUrl,
    });
    if (baseUrl === undefined) return undefined;
    const priv = await vscode.window.showQuickPick(
      [
        { label: 'Private / self-hosted', description: 'may receive private code (gearbox.privateCode)', value: true },
        { label: 'Third-party service', description: 'treated like any cloud API', value: false },
      ],
      {
        title: `${title} (3/4)`,
        placeHolder: 'Is this endpoint private (self-hosted, under your control)?',
        ignoreFocusOut: true,
      },
    );
    if (!priv) return undefined;
    const names = await vscode.window.showInputBox({
      title: `${title} (4/4)`,
      prompt: 'Model name(s) the server serves, comma-separated',
      placeHolder: 'e.g. qwen2.5-coder:7b',
      value: existing?.models.map((m) => m.name).join(', '),
      ignoreFocusOut: true,
      validateInput: validateModelNames,
    });
    if (names === undefined) return undefined;
    try {
      return {
        endpoint: makeEndpoint({ id, baseUrl, private: priv.value, noKey: false, modelNames: parseModelNames(names) }),
      };
    } catch (err) {
      void vscode.window.showErrorMessage(`Gearbox: invalid endpoint: ${errorMessage(err)}`);
      return undefined;
    }
  };

  const setApiKey = async (arg?: unknown): Promise<void> => {
    const models = await catalog();
    let provider = typeof arg === 'string' && arg.trim() ? arg.trim() : undefined;
    let endpoint: EndpointConfig | undefined;

    if (!provider) {
      const stored = await readKeys();
      const items = buildProviderItems({ models, storedMasked: maskedMap(stored), endpoints: endpoints() });
      const picked = await vscode.window.showQuickPick(
        items.map((i) => ({ label: i.label, description: i.description, item: i })),
        { title: 'Gearbox: Set API Key', placeHolder: 'Which provider?', ignoreFocusOut: true },
      );
      if (!picked) return;
      if (picked.item.kind === 'newEndpoint') {
        const r = await askEndpoint(models);
        if (!r) return;
        endpoint = r.endpoint;
        provider = endpoint.id;
      } else provider = picked.item.provider;
    }

    const name = providerDisplayName(provider);
    const key = await vscode.window.showInputBox({
      title: `Gearbox: API key for ${name}`,
      prompt: endpoint
        ? `API key for ${endpoint.baseUrl} (leave empty if the server needs none). Stored in the system keychain.`
        : `API key for ${name}. Stored in the system keychain, sent only to the local Gearbox daemon.`,
      password: true,
      ignoreFocusOut: true,
      validateInput: (v) => (endpoint || v.trim() ? undefined : 'Paste the key (Esc to cancel)'),
    });
    if (key === undefined) return;
    const trimmed = key.trim();
    if (endpoint && !trimmed) endpoint = { ...endpoint, noKey: true };

    // Persist: endpoint definition in globalState, key in SecretStorage.
    if (endpoint) await context.globalState.update(ENDPOINTS_STATE, upsertEndpoint(endpoints(), endpoint));
    let persisted = true;
    if (trimmed) {
      try {
        await context.secrets.store(secretName(provider), trimmed);
        await context.globalState.update(STORED_PROVIDERS_STATE, [...new Set([...storedProviders(), provider])]);
      } catch (err) {
        persisted = false;
        keychainFailed(err);
      }
    }

    // Send even when the keychain failed: the daemon keeps it for this session.
    const failure = await send(trimmed ? new Map([[provider, trimmed]]) : new Map(), endpoint ? [endpoint] : []);
    if (failure) {
      void vscode.window.showErrorMessage(
        `Gearbox: the daemon did not accept the ${name} ${endpoint ? 'endpoint' : 'key'}: ${failure}`,
      );
      return;
    }
    client.log.info(`API key set for ${provider}${endpoint ? ` (endpoint ${endpoint.baseUrl})` : ''}`);
    const shown = trimmed ? ` (${maskKey(trimmed)})` : '';
    void vscode.window.showInformationMessage(
      `Gearbox: ${endpoint ? `endpoint ${provider} added` : `${name} key set`}${shown}` +
        (persisted ? '.' : ' for this session only (not saved).'),
    );
  };

  /** With a provider id (the Models view's Remove Key), removes that one after asking; else offers a pick. */
  const removeApiKeys = async (arg?: unknown): Promise<void> => {
    const stored = (await readKeys()) ?? new Map<string, string>();
    const eps = endpoints();
    const ids = [...new Set([...storedProviders(), ...eps.map((e) => e.id)])];
    const only = typeof arg === 'string' && arg.trim() ? arg.trim() : undefined;
    if (only) {
      const name = providerDisplayName(only);
      if (!ids.includes(only)) {
        void vscode.window.showInformationMessage(
          `Gearbox: no ${name} key is stored in the editor (the daemon may read it from its environment).`,
        );
        return;
      }
      const ok = await vscode.window.showWarningMessage(`Remove the ${name} API key?`, { modal: true }, 'Remove');
      if (ok) await removeKeys([only]);
      return;
    }
    if (ids.length === 0) {
      void vscode.window.showInformationMessage('Gearbox: no API keys or endpoints are stored in the editor.');
      return;
    }
    const picked = await vscode.window.showQuickPick(
      ids.map((p) => {
        const ep = eps.find((e) => e.id === p);
        const k = stored.get(p);
        return {
          label: providerDisplayName(p),
          description: [k ? maskKey(k) : ep?.noKey ? 'no key' : 'key not readable', ep ? `endpoint ${ep.baseUrl}` : '']
            .filter(Boolean)
            .join(' · '),
          provider: p,
        };
      }),
      {
        title: 'Gearbox: Remove API Keys',
        placeHolder: 'Select the keys (and endpoints) to remove',
        canPickMany: true,
        ignoreFocusOut: true,
      },
    );
    if (!picked?.length) return;
    await removeKeys(picked.map((p) => p.provider));
  };

  const removeKeys = async (remove: string[]): Promise<void> => {
    const eps = endpoints();
    try {
      for (const p of remove) await context.secrets.delete(secretName(p));
    } catch (err) {
      keychainFailed(err);
    }
    await context.globalState.update(
      STORED_PROVIDERS_STATE,
      storedProviders().filter((p) => !remove.includes(p)),
    );
    await context.globalState.update(
      ENDPOINTS_STATE,
      eps.filter((e) => !remove.includes(e.id)),
    );
    // An empty string removes the key from the daemon's memory.
    const failure = await send(new Map(remove.map((p) => [p, ''])), []);
    if (failure) client.log.warn(`Removing keys on the daemon: ${failure}`);
    client.log.info(`API keys removed for: ${remove.join(', ')}`);
    void vscode.window.showInformationMessage(`Gearbox: removed ${remove.map(providerDisplayName).join(', ')}.`);
  };

  context.subscriptions.push(
    vscode.commands.registerCommand('gearbox.setApiKey', setApiKey),
    vscode.commands.registerCommand('gearbox.removeApiKeys', removeApiKeys),
  );
  return { syncKeys };
}
