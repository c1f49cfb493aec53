// A catalog entry for router tests: a paid cloud model of tier 1 unless overridden; ids starting
// with "local/" are free, local and private.
import type { ModelInfo } from '../../shared/protocol';

export const ALL_TASKS = ['completion', 'chat', 'refactor'] as ModelInfo['tasks'];

export function model(id: string, over: Partial<ModelInfo>): ModelInfo {
  const provider = id.split('/')[0]!;
  return {
    id,
    provider,
    providerKind: provider === 'local' ? 'local' : 'openai',
    displayName: id,
    tier: 1,
    contextWindow: 128_000,
    inputPricePerMTok: 1,
    outputPricePerMTok: 4,
    local: provider === 'local',
    private: provider === 'local',
    tasks: ALL_TASKS,
    available: true,
    ...over,
  };
}
