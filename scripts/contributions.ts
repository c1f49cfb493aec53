// What package.json and the shipped JSON schema say about settings, generated from the zod schemas
// that the code parses with (one source per shape): `contributes.configuration` from WorkspaceSettings
// (what the daemon reads from each workspace) and ExtensionSettings (what only the extension reads),
// and the JSON schema of the daemon's config.json from DaemonConfigSchema. Descriptions come from
// each field's .describe() / .meta(). scripts/gen-contributions.ts writes them (`npm run build`);
// test/unit/contributions.test.ts fails when package.json and the schemas drift apart.
import { z } from 'zod';
import { DaemonConfigSchema } from '../daemon/config';
import { ExtensionSettings } from '../extension/core/settings-schema';
import { WorkspaceSettings } from '../shared/protocol';

type Json = Record<string, unknown>;

/** JSON Schema keywords VS Code's settings understand; the rest (propertyNames, $schema) is left out. */
const SETTING_KEYWORDS = [
  'type',
  'enum',
  'default',
  'minimum',
  'maximum',
  'minItems',
  'maxItems',
  'minLength',
  'maxLength',
  'pattern',
  'format',
  'items',
  'additionalProperties',
  'description',
  'markdownDescription',
  'enumDescriptions',
  'scope',
] as const;

function jsonSchemaOf(schema: z.ZodType): Json {
  // 'input': what a user may write (defaulted fields are optional).
  return z.toJSONSchema(schema, { io: 'input', target: 'draft-7' }) as Json;
}

function settingOf(node: Json, scope: string | undefined): Json {
  const out: Json = {};
  for (const k of SETTING_KEYWORDS) if (node[k] !== undefined) out[k] = node[k];
  for (const nested of ['items', 'additionalProperties'] as const) {
    const sub = out[nested];
    if (sub && typeof sub === 'object') out[nested] = settingOf(sub as Json, undefined);
  }
  if (scope && out.scope === undefined) out.scope = scope;
  return out;
}

/**
 * An object with named properties becomes one setting per leaf (`gearbox.routing.mode`), which is
 * how VS Code shows and merges them; a record (additionalProperties) stays one object setting.
 */
function flatten(prefix: string, node: Json, scope: string | undefined, out: Record<string, Json>): void {
  const props = node.properties as Record<string, Json> | undefined;
  if (node.type === 'object' && props) {
    for (const [key, child] of Object.entries(props)) flatten(`${prefix}.${key}`, child, scope, out);
    return;
  }
  if (out[prefix]) throw new Error(`${prefix} is declared twice`);
  out[prefix] = settingOf(node, scope);
}

/** package.json's `contributes.configuration`. */
export function configurationContribution(): { title: string; properties: Record<string, Json> } {
  const properties: Record<string, Json> = {};
  // The daemon's settings differ per workspace folder: resource scope.
  flatten('gearbox', jsonSchemaOf(WorkspaceSettings), 'resource', properties);
  flatten('gearbox', jsonSchemaOf(ExtensionSettings), undefined, properties);
  return { title: 'Gearbox', properties };
}

/** Where the config.json schema ships, relative to the extension root (contributes.jsonValidation). */
export const DAEMON_CONFIG_SCHEMA_FILE = 'dist/schemas/daemon-config.schema.json';

/** package.json's `contributes.jsonValidation`: the daemon config at its default place. */
export function jsonValidationContribution(): { fileMatch: string[]; url: string }[] {
  return [{ fileMatch: ['**/gearbox/config.json'], url: `./${DAEMON_CONFIG_SCHEMA_FILE}` }];
}

/** The JSON schema of the daemon's config.json (JSON with comments, as the daemon reads it). */
export function daemonConfigJsonSchema(): Json {
  return {
    ...jsonSchemaOf(DaemonConfigSchema),
    title: 'Gearbox daemon configuration',
    description: 'The daemon reads it at start and reloads it when it changes; `gearbox models` edits it in place.',
    // VS Code's JSON language service: the daemon parses JSONC, so comments are not errors here.
    allowComments: true,
    allowTrailingCommas: true,
  };
}

/** package.json with its generated parts replaced (everything else as it was, key order kept). */
export function withGeneratedContributions(pkg: Json): Json {
  const contributes = { ...(pkg.contributes as Json) };
  contributes.configuration = configurationContribution();
  contributes.jsonValidation = jsonValidationContribution();
  return { ...pkg, contributes };
}
