// Pure logic of the API-key commands: masking, the provider list, endpoint validation and the
// gearbox/setKeys payload. No `vscode` import; tested in plain Node (test/keys-logic.test.ts).
import { EndpointConfig, type ModelInfo, type SetKeysParams } from '../../shared/protocol';
import { providerDisplayName } from './model-items';

/** SecretStorage key of a provider's API key. */
const SECRET_PREFIX = 'gearbox.apiKey.';
/** globalState: provider ids that have a key in SecretStorage (SecretStorage cannot list). */
export const STORED_PROVIDERS_STATE = 'gearbox.apiKeyProviders';
/** globalState: OpenAI-compatible endpoints added from the editor (no secrets in them). */
export const ENDPOINTS_STATE = 'gearbox.endpoints';

export const KEYCHAIN_UNAVAILABLE_MESSAGE =
  "Gearbox can't use the system keychain here; " +
  "set OPENAI_API_KEY / ANTHROPIC_API_KEY / GEMINI_API_KEY in the daemon's environment instead.";

/** The providers every daemon knows, listed first. */
export const BUILTIN_PROVIDERS = ['openai', 'anthropic', 'gemini'] as const;

export function secretName(provider: string): string {
  return SECRET_PREFIX + provider;
}

/**
 * A key shown without revealing it: "sk-…1234". Keeps a short alphabetic prefix ending in "-"
 * (sk-, gsk-, xai-) and the last 4 characters; short keys show nothing of themselves.
 */
export function maskKey(key: string): string {
  const k = key.trim();
  if (k.length === 0) return '(empty)';
  if (k.length < 12) return '••••';
  const prefix = /^[A-Za-z]{1,4}-/.exec(k)?.[0] ?? '';
  return `${prefix}…${k.slice(-4)}`;
}

export type ProviderItem =
  | {
      kind: 'provider';
      provider: string;
      label: string;
      description: string;
      /** An endpoint added from the editor (can be removed with its definition). */
      endpoint: boolean;
    }
  | { kind: 'newEndpoint'; label: string; description: string };

export interface BuildProviderItemsInput {
  /** The daemon's catalog (gearbox/models), or [] when it cannot be reached. */
  models: readonly Pick<ModelInfo, 'provider' | 'providerKind' | 'local' | 'available' | 'unavailableReason'>[];
  /** Provider id → masked key, for keys stored in SecretStorage. */
  storedMasked: ReadonlyMap<string, string>;
  endpoints: readonly EndpointConfig[];
}

export const NEW_ENDPOINT_LABEL = 'OpenAI-compatible endpoint…';

/** OpenAI, Anthropic, Gemini, the daemon's other providers, the user's endpoints, then "new endpoint". */
export function buildProviderItems(input: BuildProviderItemsInput): ProviderItem[] {
  const endpointIds = new Set(input.endpoints.map((e) => e.id));
  const ids: string[] = [...BUILTIN_PROVIDERS];
  const others = new Set<string>();
  for (const m of input.models) {
    if (m.local || m.providerKind === 'local' || m.provider === 'local') continue;
    if (!ids.includes(m.provider) && !endpointIds.has(m.provider)) others.add(m.provider);
  }
  ids.push(...[...others].sort((a, b) => providerDisplayName(a).localeCompare(providerDisplayName(b))));
  for (const e of input.endpoints) if (!ids.includes(e.id)) ids.push(e.id);

  const items: ProviderItem[] = ids.map((provider) => {
    const endpoint = endpointIds.has(provider);
    const masked = input.storedMasked.get(provider);
    const models = input.models.filter((m) => m.provider === provider);
    let description: string;
    if (masked) description = `key set: ${masked}`;
    else if (endpoint && input.endpoints.find((e) => e.id === provider)?.noKey) description = 'no key needed';
    else if (models.some((m) => m.available)) description = 'key from the daemon environment or config';
    else description = 'no key';
    if (endpoint) description += ` · ${input.endpoints.find((e) => e.id === provider)!.baseUrl}`;
    return { kind: 'provider', provider, label: providerDisplayName(provider), description, endpoint };
  });
  items.push({
    kind: 'newEndpoint',
    label: NEW_ENDPOINT_LABEL,
    description: 'a self-hosted or third-party server with the OpenAI API',
  });
  return items;
}

/** Input-box validation of a new endpoint id; undefined when valid. */
export function validateEndpointId(id: string, reservedProviders: readonly string[]): string | undefined {
  const v = id.trim();
  if (!v) return 'Give the endpoint an id, e.g. "ollama" or "work-vllm"';
  if (v.length > 100) return 'At most 100 characters';
  if (!/^[a-zA-Z0-9._-]+$/.test(v)) return 'Letters, digits, ".", "_" and "-" only';
  if (v === 'local' || reservedProviders.includes(v)) return `"${v}" is already a provider; choose another id`;
  return undefined;
}

/** Input-box validation of an endpoint base URL; undefined when valid. */
export function validateBaseUrl(url: string): string | undefined {
  const v = url.trim();
  if (!v) return 'The base URL, e.g. http://localhost:11434/v1';
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    return 'Not a URL (expected e.g. https://host/v1)';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'Only http:// and https:// URLs';
  if (u.username || u.password) return 'Put the key in the next step, not in the URL';
  return undefined;
}

/** "llama3.1:8b, qwen2.5-coder" → ["llama3.1:8b", "qwen2.5-coder"] */
export function parseModelNames(text: string): string[] {
  return [
    ...new Set(
      text
        .split(/[,\s]+/)
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
}

export function validateModelNames(text: string): string | undefined {
  return parseModelNames(text).length === 0
    ? 'At least one model name the server serves (comma-separated for several)'
    : undefined;
}

/** Builds and validates one endpoint; throws with the schema's message when invalid. */
export function makeEndpoint(input: {
  id: string;
  baseUrl: string;
  private: boolean;
  noKey: boolean;
  modelNames: string[];
}): EndpointConfig {
  return EndpointConfig.parse({
    id: input.id.trim(),
    baseUrl: input.baseUrl.trim().replace(/\/+$/, ''),
    ...(input.private ? { private: true } : {}),
    ...(input.noKey ? { noKey: true } : {}),
    models: input.modelNames.map((name) => ({ name })),
  });
}

/** Endpoints read back from globalState; drops entries that no longer validate. */
export function parseStoredEndpoints(raw: unknown): EndpointConfig[] {
  if (!Array.isArray(raw)) return [];
  const out: EndpointConfig[] = [];
  for (const e of raw) {
    const r = EndpointConfig.safeParse(e);
    if (r.success) out.push(r.data);
  }
  return out;
}

/** Adds or replaces an endpoint by id. */
export function upsertEndpoint(list: readonly EndpointConfig[], e: EndpointConfig): EndpointConfig[] {
  const out = list.filter((x) => x.id !== e.id);
  out.push(e);
  return out;
}

export function parseStoredProviders(raw: unknown): string[] {
  return Array.isArray(raw) ? [...new Set(raw.filter((x): x is string => typeof x === 'string' && x.length > 0))] : [];
}

/** The gearbox/setKeys payload; undefined when there is nothing to send. */
export function buildSetKeysParams(
  keys: ReadonlyMap<string, string>,
  endpoints: readonly EndpointConfig[],
): SetKeysParams | undefined {
  if (keys.size === 0 && endpoints.length === 0) return undefined;
  return { keys: Object.fromEntries(keys), ...(endpoints.length ? { endpoints: [...endpoints] } : {}) };
}
