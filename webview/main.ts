// Webview entry (bundled as an IIFE for the browser; the CSS import is emitted as main.css).
import './styles.css';
import DOMPurify from 'dompurify';
import { startApp } from './app';
import type { VsCodeApi } from './composer';

declare function acquireVsCodeApi(): VsCodeApi;

startApp({ win: window, api: acquireVsCodeApi(), purify: DOMPurify });
