// Turns ranked chunks into search results: the snippet as the file holds it now, its size in
// tokens, and its privacy under the workspace's current settings (a private path, privateCode, a
// .env file or a secret in the snippet), so that a chat using it knows it must stay local. Runs in
// the index worker: reading files and scanning snippets stays off the daemon's event loop.
import fs from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { IndexSearchHit, WorkspaceSettings } from '../../shared/protocol';
import { estimateTokens, findSecrets, isEnvFile, matchPrivatePath, type SecretKind } from '../routing';
import type { IndexHit } from './workspace-index';

export async function toSearchHits(
  root: string,
  hits: readonly IndexHit[],
  settings: Pick<WorkspaceSettings, 'privatePaths' | 'privateCode'>,
): Promise<Omit<IndexSearchHit, 'folder'>[]> {
  const texts = new Map<string, Promise<string | undefined>>();
  const read = (rel: string) => {
    let t = texts.get(rel);
    if (!t) {
      t = fs.readFile(path.join(root, rel), 'utf8').catch(() => undefined);
      texts.set(rel, t);
    }
    return t;
  };
  const out: Omit<IndexSearchHit, 'folder'>[] = [];
  for (const hit of hits) {
    const text = await read(hit.rel);
    if (text === undefined) continue; // removed since it was indexed: its update is on the way
    const lines = text.split('\n');
    const end = Math.min(hit.endLine, lines.length - 1);
    if (hit.startLine > end) continue;
    const snippet = lines.slice(hit.startLine, end + 1).join('\n');
    const abs = path.join(root, hit.rel);
    const kinds = new Set<SecretKind>(findSecrets(snippet, { fileName: hit.rel }).map((s) => s.kind));
    if (isEnvFile(hit.rel)) kinds.add('env-file');
    out.push({
      uri: pathToFileURL(abs).href,
      path: hit.rel,
      range: { start: { line: hit.startLine, character: 0 }, end: { line: end, character: lines[end]!.length } },
      snippet,
      score: hit.score,
      // A first size; the daemon sizes the results it returns again with o200k_base (session-handlers.ts),
      // so that no worker loads the tokenizer's ranks.
      tokens: estimateTokens(snippet),
      tokensMethod: 'chars4',
      matchedBy: hit.matchedBy,
      privatePath: matchPrivatePath(settings.privatePaths, abs, root) !== undefined,
      privateCode: settings.privateCode,
      secret: kinds.size > 0,
      secretKinds: [...kinds],
    });
  }
  return out;
}
