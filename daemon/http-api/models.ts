// GET /v1/models: the names a request may use — gearbox/auto, gearbox/local, then every catalog
// model that chats or completes — in OpenAI's list shape, or Anthropic's when the client sends
// `anthropic-version` (its SDK always does). Each entry also says what Gearbox knows of it.
import type { ModelInfo } from '../../shared/protocol';
import type { Engine } from '../engine';
import { AUTO_MODEL, LOCAL_MODEL } from './api-call';

interface Entry {
  id: string;
  displayName: string;
  ownedBy: string;
  info?: ModelInfo;
}

export async function listModels(engine: Engine, dialect: 'openai' | 'anthropic'): Promise<unknown> {
  const catalog = (await engine.catalog()).filter((m) => m.tasks.includes('chat') || m.tasks.includes('completion'));
  const entries: Entry[] = [
    { id: AUTO_MODEL, displayName: 'Gearbox Auto (routed by difficulty)', ownedBy: 'gearbox' },
    { id: LOCAL_MODEL, displayName: 'Gearbox Local (local models only)', ownedBy: 'gearbox' },
    ...catalog.map((m) => ({ id: m.id, displayName: m.displayName, ownedBy: m.provider, info: m })),
  ];
  const gearbox = (e: Entry) =>
    e.info
      ? {
          local: e.info.local,
          available: e.info.available,
          tier: e.info.tier,
          contextWindow: e.info.contextWindow,
          inputPricePerMTok: e.info.inputPricePerMTok,
          outputPricePerMTok: e.info.outputPricePerMTok,
          tasks: e.info.tasks,
        }
      : { router: true };
  if (dialect === 'anthropic') {
    const data = entries.map((e) => ({
      type: 'model',
      id: e.id,
      display_name: e.displayName,
      created_at: '1970-01-01T00:00:00Z',
      gearbox: gearbox(e),
    }));
    return { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
  }
  return {
    object: 'list',
    data: entries.map((e) => ({ id: e.id, object: 'model', created: 0, owned_by: e.ownedBy, gearbox: gearbox(e) })),
  };
}
