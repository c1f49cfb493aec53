// A connection's local workspace folders as LSP announces them: every file: folder of
// `initialize` (or its rootUri alone), then the editor's workspace/didChangeWorkspaceFolders
// events. Folders that are not on this machine (not file: URIs) have nothing to index.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { WorkspaceFolder } from './session-handlers';

/** A folder as LSP names it (the name is optional where clients leave it out). */
interface LspFolder {
  uri: string;
  name?: string;
}

export function workspaceFoldersOf(
  folders: readonly LspFolder[] | null | undefined,
  rootUri: string | null | undefined,
): WorkspaceFolder[] {
  const announced = folders?.length ? folders : rootUri ? [{ uri: rootUri, name: '' }] : [];
  const out: WorkspaceFolder[] = [];
  for (const f of announced) {
    const root = localPath(f.uri);
    if (root && !out.some((o) => o.root === root)) out.push({ root, name: f.name || path.basename(root) });
  }
  return out;
}

export function changeWorkspaceFolders(
  current: readonly WorkspaceFolder[],
  event: { added: readonly LspFolder[]; removed: readonly LspFolder[] },
): WorkspaceFolder[] {
  const removed = new Set(event.removed.map((f) => localPath(f.uri)));
  return workspaceFoldersOf(
    [
      ...current.filter((f) => !removed.has(f.root)).map((f) => ({ uri: pathToFileURL(f.root).href, name: f.name })),
      ...event.added,
    ],
    undefined,
  );
}

function localPath(uri: string): string | undefined {
  if (!uri.startsWith('file:')) return undefined;
  try {
    return path.resolve(fileURLToPath(uri));
  } catch {
    return undefined;
  }
}
