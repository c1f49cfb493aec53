// The closed-model providers the daemon knows, shared by every connection: configured ones first,
// then the built-in ones that only need a key; their keys (set by a client, else the environment);
// one API client per provider; and their health (failures put a provider on cool-down).
import { ErrorCodes, type EndpointConfig } from '../../shared/protocol';
import { builtinProviders, DEFAULT_PROVIDERS } from '../catalog/catalog';
import type { ProviderConfig } from '../config';
import { GearboxError } from '../gearbox-error';
import { registerSecret, type Logger } from '../log';
import type { ChatProvider } from './chat-provider';
import { apiKeyEnvVar, createProvider } from './index';
import { ProviderHealth } from './retry';

export interface ProviderRegistryOptions {
  /** From the daemon config; they win over built-in providers with the same id. */
  configured: readonly ProviderConfig[];
  /** Where keys not set by a client are read from. */
  env: NodeJS.ProcessEnv;
  logger: Logger;
}

export class ProviderRegistry {
  private readonly list: ProviderConfig[];
  private readonly keys = new Map<string, string>();
  private readonly clients = new Map<string, ChatProvider>();
  readonly health = new ProviderHealth();
  private readonly env: NodeJS.ProcessEnv;
  private readonly log: Logger;

  constructor(opts: ProviderRegistryOptions) {
    this.env = opts.env;
    this.log = opts.logger;
    // The big three and the catalog's known OpenAI-compatible services (xAI, DeepSeek, ...) exist
    // without configuration and only need a key.
    const known: ProviderConfig[] = [...DEFAULT_PROVIDERS, ...builtinProviders().filter((p) => p.baseUrl)];
    const ids = new Set(opts.configured.map((p) => p.id));
    this.list = [
      ...opts.configured,
      ...known.filter((p) => {
        if (ids.has(p.id)) return false;
        ids.add(p.id);
        return true;
      }),
    ];
    for (const p of this.list) {
      const k = this.envKey(p);
      if (k) registerSecret(k);
    }
  }

  /** Every provider, configured ones first. */
  get all(): readonly ProviderConfig[] {
    return this.list;
  }

  find(id: string): ProviderConfig | undefined {
    return this.list.find((p) => p.id === id);
  }

  /**
   * Adds or replaces OpenAI-compatible endpoints, then sets keys (an empty key removes one).
   * Returns the providers that now have a key. Throws on an unknown provider or a taken id.
   */
  setKeys(keys: Record<string, string>, endpoints: EndpointConfig[] = []): string[] {
    for (const e of endpoints) {
      const existing = this.list.findIndex((p) => p.id === e.id);
      if (existing >= 0 && this.list[existing]!.kind !== 'openai-compatible') {
        throw new GearboxError(
          ErrorCodes.InvalidParams,
          `Endpoint id "${e.id}" is taken by the ${this.list[existing]!.kind} provider`,
        );
      }
      const cfg: ProviderConfig = {
        id: e.id,
        kind: 'openai-compatible',
        baseUrl: e.baseUrl,
        private: e.private,
        noKey: e.noKey,
        models: e.models,
      };
      if (existing >= 0) this.list[existing] = cfg;
      else this.list.push(cfg);
      this.clients.delete(e.id);
    }
    for (const [provider, key] of Object.entries(keys)) {
      if (!this.list.some((p) => p.id === provider)) {
        throw new GearboxError(
          ErrorCodes.InvalidParams,
          `Unknown provider "${provider}". Known: ${this.list.map((p) => p.id).join(', ')}`,
        );
      }
      if (key === '') this.keys.delete(provider);
      else {
        registerSecret(key);
        this.keys.set(provider, key);
      }
    }
    return this.providersWithKeys();
  }

  providersWithKeys(): string[] {
    return this.list.filter((p) => p.noKey || this.keyFor(p) !== undefined).map((p) => p.id);
  }

  /** Providers resting after repeated failures: their models are unavailable for now. */
  coolingDown(): Set<string> {
    return new Set(this.list.filter((p) => this.health.isCoolingDown(p.id)).map((p) => p.id));
  }

  /** The API client of a provider, made on first use; it reads the key at each request. */
  client(p: ProviderConfig): ChatProvider {
    let c = this.clients.get(p.id);
    if (!c) {
      c = createProvider(p, () => this.keyFor(p), { logger: this.log.child({ provider: p.id }) });
      this.clients.set(p.id, c);
    }
    return c;
  }

  private envKey(p: ProviderConfig): string | undefined {
    const names = [apiKeyEnvVar(p)];
    if (p.kind === 'gemini') names.push('GOOGLE_API_KEY');
    for (const n of names) {
      const v = this.env[n];
      if (v) return v;
    }
    return undefined;
  }

  private keyFor(p: ProviderConfig): string | undefined {
    return this.keys.get(p.id) ?? this.envKey(p);
  }
}
