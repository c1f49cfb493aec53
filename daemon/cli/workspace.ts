// The CLI's workspace folder: the git repository it runs in, else the current directory. As an
// editor's workspace folder does, it anchors relative privatePaths globs (`secret/**` must hold for
// `gearbox chat --file secret/x.py` as it does in VS Code) and names the workspace in the usage ledger.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export function cliWorkspaceFolder(cwd = process.cwd()): string {
  const start = path.resolve(cwd);
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, '.git'))) return pathToFileURL(dir).href;
    if (path.dirname(dir) === dir) return pathToFileURL(start).href;
  }
}
