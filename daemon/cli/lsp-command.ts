// `gearbox lsp`: the language server for other editors, on stdio (bridge in ../lsp-bridge). stdout
// carries nothing but LSP messages, so everything this process would print goes to stderr.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-languageserver/node';
import { LspBridge } from '../lsp-bridge/bridge';

export async function lspCommand(args: string[], runtimeDir: string): Promise<number> {
  const { values } = parseArgs({ args, options: { config: { type: 'string' }, stdio: { type: 'boolean' } } });
  console.log = console.error;
  console.info = console.error;
  const conn = createConnection(new StreamMessageReader(process.stdin), new StreamMessageWriter(process.stdout));
  new LspBridge(conn, { runtimeDir, startArgs: values.config ? ['--config', path.resolve(values.config)] : [] });
  const exited = new Promise<number>((resolve) => {
    conn.onExit(() => resolve(0));
    // The editor went away without `exit`: so do we.
    process.stdin.once('end', () => resolve(0));
  });
  conn.listen();
  return exited;
}
