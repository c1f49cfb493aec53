// `gearbox api-key`: prints the HTTP API key of a label (creating it on first use), or replaces it
// with --rotate. Only the key goes to stdout, so that `$(gearbox api-key)` can feed a tool's config.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { defaultConfigPath } from '../config';
import { ApiKeyStore, apiKeysPath, DEFAULT_KEY_LABEL, KeyLabel } from '../http-api/api-keys';

export class ApiKeyUsageError extends Error {}

export function apiKeyCommand(args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const { values } = parseArgs({
    args,
    options: {
      label: { type: 'string', default: DEFAULT_KEY_LABEL },
      rotate: { type: 'boolean', default: false },
      config: { type: 'string' },
      list: { type: 'boolean', default: false },
    },
  });
  const label = KeyLabel.safeParse(values.label);
  if (!label.success) throw new ApiKeyUsageError(`--label: ${label.error.issues[0]?.message ?? 'invalid'}`);
  const configPath = values.config ? path.resolve(values.config) : defaultConfigPath(env);
  const store = new ApiKeyStore(apiKeysPath(configPath));
  if (values.list) {
    for (const l of store.labels()) console.log(l);
    return 0;
  }
  const key = values.rotate ? store.rotate(label.data) : store.get(label.data);
  process.stdout.write(`${key}\n`);
  if (values.rotate) console.error(`gearbox: the old '${label.data}' key no longer works (${store.file})`);
  return 0;
}
