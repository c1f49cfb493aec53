// The HTML shell of Gearbox's webviews: a strict CSP (nothing but our nonce'd script and styles
// from the extension's own dist folder) around one script and one stylesheet.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

export function webviewHtml(
  webview: vscode.Webview,
  distRoot: vscode.Uri,
  bundle: { script: string; style: string; title: string },
): string {
  const nonce = randomBytes(18)
    .toString('base64')
    .replace(/[^A-Za-z0-9]/g, '');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(distRoot, bundle.script));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(distRoot, bundle.style));
  const csp = [
    `default-src 'none'`,
    `script-src 'nonce-${nonce}'`,
    `style-src ${webview.cspSource} 'nonce-${nonce}'`,
    `img-src ${webview.cspSource} data:`,
    `font-src ${webview.cspSource}`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style.toString()}" nonce="${nonce}">
<title>${bundle.title}</title>
</head>
<body>
<div id="app"></div>
<script nonce="${nonce}" src="${script.toString()}"></script>
</body>
</html>`;
}
