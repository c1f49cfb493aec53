// Usage webview entry (bundled as an IIFE to dist/webview/usage.js; the CSS import becomes usage.css).
import './styles.css';
import {
  UsageHostToWebview,
  type UsageRange,
  type UsageScope,
  type UsageWebviewToHost,
} from '../../shared/usage-webview-protocol';
import { render } from './render';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const api = acquireVsCodeApi();
const root = document.getElementById('app')!;
let last: { range: UsageRange; scope: UsageScope } | undefined;
const send = (m: UsageWebviewToHost) => api.postMessage(m);
const ui = {
  onRange: (range: UsageRange) => send({ type: 'setRange', range }),
  onScope: (scope: UsageScope) => send({ type: 'setScope', scope }),
  onRefresh: () => send({ type: 'refresh' }),
  onResetCalibration: () => send({ type: 'resetCalibration' }),
};

window.addEventListener('message', (ev: MessageEvent) => {
  const parsed = UsageHostToWebview.safeParse(ev.data);
  if (!parsed.success) return; // not ours, or malformed: dropped
  const m = parsed.data;
  if (m.type === 'usage') last = { range: m.range, scope: m.scope };
  render(root, m, ui, last);
});
send({ type: 'ready' });
