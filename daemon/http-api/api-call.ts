// What every API request shares once it is authenticated: who asked (the key's label, which is the
// ledger's workspace "api:<label>"), the settings it runs under, its cancellation signal, and how a
// model name of the API (gearbox/auto, gearbox/local or a catalog id) becomes a routing choice.
// Requests run through the engine's public methods, so policy, privacy, budgets and the ledger hold.
import type { ChatParams, ChatResult, RouteDecision, WorkspaceSettings } from '../../shared/protocol';
import type { Engine } from '../engine';
import { ApiError } from './errors';
import type { GearboxInfo } from './gearbox-info';

export const AUTO_MODEL = 'gearbox/auto';
export const LOCAL_MODEL = 'gearbox/local';

export interface ApiCall {
  engine: Engine;
  /** The API key's label. */
  label: string;
  /** The daemon's default workspace settings (config `defaults`): the API has no workspace of its own. */
  settings: WorkspaceSettings;
  signal: AbortSignal;
}

export function ledgerWorkspace(label: string): string {
  return `api:${label}`;
}

/** How a request's model name routes: the router with the caller's settings, local only, or a pinned id. */
export type ModelChoice = { kind: 'auto' } | { kind: 'local' } | { kind: 'pinned'; id: string };

/** The choice for a model name; an id the catalog does not know is a 404 in the API's shape. */
export async function modelChoice(engine: Engine, name: string): Promise<ModelChoice> {
  if (name === AUTO_MODEL) return { kind: 'auto' };
  if (name === LOCAL_MODEL) return { kind: 'local' };
  const catalog = await engine.catalog();
  if (!catalog.some((m) => m.id === name))
    throw new ApiError(
      'model-not-found',
      `The model '${name}' does not exist: use ${AUTO_MODEL}, ${LOCAL_MODEL} or an id from GET /v1/models`,
    );
  return { kind: 'pinned', id: name };
}

/** The chat request's routing fields for a choice: a pin, or the 'local' hint. */
export function chatRouting(choice: ModelChoice): Pick<ChatParams, 'model' | 'hint'> {
  if (choice.kind === 'pinned') return { model: choice.id };
  if (choice.kind === 'local') return { hint: 'local' };
  return {};
}

/** Settings for a completion (the engine routes completions by settings): the pin, or local-only. */
export function completionSettings(settings: WorkspaceSettings, choice: ModelChoice): WorkspaceSettings {
  if (choice.kind === 'pinned') return { ...settings, models: { ...settings.models, completion: choice.id } };
  if (choice.kind === 'local') return { ...settings, routing: { ...settings.routing, mode: 'local-only' } };
  return settings;
}

export interface ChatStreamHooks {
  /** Once, before the first text (or, for an answer without text, before the result): who answers. */
  onStart(model: string, decision: RouteDecision | undefined): void;
  onDelta(text: string): void;
}

/** A chat through the engine, telling the hooks who answers as soon as the first text arrives. */
export async function runChat(
  call: ApiCall,
  params: Omit<ChatParams, 'streamId'>,
  hooks: ChatStreamHooks,
): Promise<ChatResult> {
  let decision: RouteDecision | undefined;
  let started = false;
  const result = await call.engine.chat(
    { ...params, streamId: 'http-api' },
    {
      settings: call.settings,
      signal: call.signal,
      workspace: ledgerWorkspace(call.label),
      onRoute: (d) => (decision = d),
      onDelta: (delta, model) => {
        if (!started) {
          started = true;
          hooks.onStart(model, decision);
        }
        hooks.onDelta(delta);
      },
    },
  );
  if (!started) hooks.onStart(result.model, result.route);
  return result;
}

/** Whether the request's tools reached the model that answered. */
export function toolsUse(
  params: Pick<ChatParams, 'tools'>,
  result: Pick<ChatResult, 'provider'>,
): GearboxInfo['tools'] {
  if (!params.tools?.length) return 'none';
  return result.provider === 'local' ? 'not-supported-by-model' : 'passed';
}
