// `npm run build` runs this first: writes the settings part of package.json and the daemon config's
// JSON schema from the zod schemas (see scripts/contributions.ts). package.json is rewritten only
// when its generated part changed, so a clean build leaves the work tree as it was.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DAEMON_CONFIG_SCHEMA_FILE, daemonConfigJsonSchema, withGeneratedContributions } from './contributions';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkgFile = path.join(root, 'package.json');
const before = fs.readFileSync(pkgFile, 'utf8');
const after = `${JSON.stringify(withGeneratedContributions(JSON.parse(before)), null, 2)}\n`;
if (after !== before) {
  fs.writeFileSync(pkgFile, after);
  console.log('package.json: contributes.configuration and jsonValidation regenerated from the zod schemas');
}
const schemaFile = path.join(root, DAEMON_CONFIG_SCHEMA_FILE);
fs.mkdirSync(path.dirname(schemaFile), { recursive: true });
fs.writeFileSync(schemaFile, `${JSON.stringify(daemonConfigJsonSchema(), null, 2)}\n`);
