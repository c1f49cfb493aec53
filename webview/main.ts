// Webview entry (bundled as an IIFE for the browser; the CSS import is emitted as main.css).
import './styles.css';
import DOMPurify from 'dompurify';
import { startApp, type VsCodeApi } from './app';

declare function acquireVsCodeApi(): VsCodeApi;

startApp({ win: window, api: acquireVsCodeApi(), purify: DOMPurify });
