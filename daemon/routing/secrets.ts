// Secret detection for prompts, selections and attached files. Linear time: the text is cut once
// into tokens (runs of key-ish characters) and lines; each token is checked by anchored regexes
// whose only repetitions are single character classes (no nested quantifiers, so a failed match
// costs at most the token's length), and each line by a bounded hand-written parser.
//
// Tuned against false positives (lockfile hashes, UUIDs, `sk-...` / YOUR_API_KEY placeholders,
// base64 images): provider keys need their exact shape plus a minimum of randomness, and generic
// `password = ...` values must look random, not like code or an example.

export type SecretKind =
  | 'openai-key'
  | 'anthropic-key'
  | 'google-api-key'
  | 'aws-access-key'
  | 'aws-secret-key'
  | 'github-token'
  | 'slack-token'
  | 'slack-webhook'
  | 'stripe-key'
  | 'jwt'
  | 'private-key'
  | 'generic-secret'
  | 'env-file';

export interface SecretMatch {
  kind: SecretKind;
  /** UTF-16 offsets into the scanned text: text.slice(start, end) is the secret. */
  start: number;
  end: number;
}

export interface SecretScanOptions {
  /** The file's name or path: `.env`, `.env.local`, ... turn on KEY=value detection. */
  fileName?: string;
}

/** Tokens longer than this are data (base64 images, minified bundles), not keys. */
const MAX_TOKEN = 8192;
/** Generic assignments: values longer than this are not passwords. */
const MAX_VALUE = 512;

// Sticky (anchored where they are tried); each ends where its character class ends (checked after
// the match). No class includes '.' or '/', so a try never reads past the next separator.
interface TokenRule {
  kind: SecretKind;
  re: RegExp;
  /** Minimum Shannon entropy (bits/char) of the part after the fixed prefix. */
  minEntropy: number;
  /** Length of the fixed prefix to skip when measuring entropy. */
  prefix: (m: string) => number;
}

const TOKEN_RULES: TokenRule[] = [
  {
    kind: 'anthropic-key',
    re: /sk-ant-[a-z0-9]{2,12}-[A-Za-z0-9_-]{32,}/y,
    minEntropy: 3.5,
    prefix: (m) => m.indexOf('-', 7) + 1,
  },
  {
    kind: 'openai-key',
    re: /sk-(?:(?:proj|svcacct|admin|None)-)?[A-Za-z0-9_-]{20,}/y,
    minEntropy: 3.5,
    prefix: (m) => /^sk-(?:proj|svcacct|admin|None)-/.exec(m)?.[0].length ?? 3,
  },
  { kind: 'google-api-key', re: /AIza[0-9A-Za-z_-]{35}/y, minEntropy: 3.3, prefix: () => 4 },
  { kind: 'aws-access-key', re: /(?:AKIA|ASIA|ABIA|ACCA|AROA|AIDA)[0-9A-Z]{16}/y, minEntropy: 2.8, prefix: () => 4 },
  {
    kind: 'github-token',
    re: /(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,244})/y,
    minEntropy: 3.5,
    prefix: (m) => (m.startsWith('github_pat_') ? 11 : 4),
  },
  { kind: 'slack-token', re: /xox[abposr]-[A-Za-z0-9-]{10,}/y, minEntropy: 3.0, prefix: () => 5 },
  {
    kind: 'stripe-key',
    re: /(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}/y,
    minEntropy: 3.3,
    prefix: (m) => m.indexOf('_', 3) + 1,
  },
];

/** Characters a key's body is made of (a match must not be followed by one). */
function isKeyBodyChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 45;
}

export function findSecrets(text: string, opts: SecretScanOptions = {}): SecretMatch[] {
  const found: SecretMatch[] = [];
  scanPem(text, found);
  scanTokens(text, found);
  scanAssignments(text, found, isEnvFile(opts.fileName));
  return dedupe(found);
}

// For scans cached line by line (secret-cache.ts). Every kind but PEM blocks lies within one line, and
// a line's scan looks at most LINE_LOOKBACK characters before the line (the AWS-secret rule); so
// findSecrets(text) is mergeFindings(PEM blocks of the text + each line's findLineSecrets).

/** How far before a line its scan may look (checkAwsSecret's 60, and some margin). */
export const LINE_LOOKBACK = 64;

/** PEM private-key blocks, the only secrets that span lines. */
export function findPemKeys(text: string): SecretMatch[] {
  const found: SecretMatch[] = [];
  scanPem(text, found);
  return found;
}

/**
 * The secrets other than PEM blocks in the line `text.slice(from)` (which holds no newline), with
 * offsets into `text`; what comes before `from` is only context the rules may look back into.
 * Not merged: mergeFindings does that over a whole text.
 */
export function findLineSecrets(text: string, from: number, envFile: boolean): SecretMatch[] {
  const found: SecretMatch[] = [];
  scanTokens(text, found, from);
  const inLine: SecretMatch[] = [];
  scanAssignments(from === 0 ? text : text.slice(from), inLine, envFile);
  for (const f of inLine) found.push({ kind: f.kind, start: f.start + from, end: f.end + from });
  return found;
}

/** Sorts findings and merges overlapping ones (as findSecrets does). */
export function mergeFindings(found: SecretMatch[]): SecretMatch[] {
  return dedupe(found);
}

/** Replaces each secret with `[REDACTED:<kind>]`. */
export function redactSecrets(text: string, opts: SecretScanOptions = {}): string {
  return redactFound(text, findSecrets(text, opts));
}

/** Replaces the given findings (sorted, not overlapping: findSecrets' result) with `[REDACTED:<kind>]`. */
export function redactFound(text: string, found: readonly SecretMatch[]): string {
  if (!found.length) return text;
  let out = '';
  let at = 0;
  for (const s of found) {
    out += `${text.slice(at, s.start)}[REDACTED:${s.kind}]`;
    at = s.end;
  }
  return out + text.slice(at);
}

export function isEnvFile(fileName: string | undefined): boolean {
  if (!fileName) return false;
  const base = fileName.slice(Math.max(fileName.lastIndexOf('/'), fileName.lastIndexOf('\\')) + 1);
  return (
    base === '.env' ||
    (base.startsWith('.env.') && !/\.(example|sample|template|dist|defaults)$/i.test(base)) ||
    base.endsWith('.env')
  );
}

// ---------- tokens: provider keys, JWTs, AWS secrets ----------

function scanTokens(text: string, found: SecretMatch[], from = 0): void {
  const n = text.length;
  let i = from;
  while (i < n) {
    if (!isTokenChar(text.charCodeAt(i))) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < n && isTokenChar(text.charCodeAt(j))) j++;
    if (j - i >= 16 && j - i <= MAX_TOKEN) checkToken(text, i, j, found);
    i = j;
  }
}

/** Characters that can be part of a key-ish token: a lookup table, one load per character. */
const TOKEN_CHAR = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  TOKEN_CHAR[c] =
    (c >= 48 && c <= 57) ||
    (c >= 65 && c <= 90) ||
    (c >= 97 && c <= 122) ||
    c === 95 ||
    c === 45 ||
    c === 43 ||
    c === 47 ||
    c === 46
      ? 1
      : 0;
}
function isTokenChar(c: number): boolean {
  return c < 128 && TOKEN_CHAR[c] === 1;
}
function checkToken(text: string, start: number, end: number, found: SecretMatch[]): void {
  const tok = text.slice(start, end);
  // Keys can sit after a path or dot inside a token ("keys/ghp_..", "config.sk_live_.."): try at the
  // token's start and after each '.' or '/'. A try stops at the next separator, so this is linear.
  let from = 0;
  while (from < tok.length) {
    if (checkPiece(tok, from, start, found)) return;
    const next = nextSeparator(tok, from);
    if (next < 0) break;
    from = next + 1;
  }
  if (
    tok.startsWith('//hooks.slack.com/services/') &&
    /^\/\/hooks\.slack\.com\/services\/T[A-Z0-9]{6,}\/B[A-Z0-9]{6,}\/[A-Za-z0-9]{16,}$/.test(tok)
  ) {
    const at = text.lastIndexOf('https:', start);
    const s = at >= 0 && at === start - 6 ? at : start;
    found.push({ kind: 'slack-webhook', start: s, end: start + tok.length });
    return;
  }
  if (tok.length >= 40) checkAwsSecret(text, tok, start, found);
  if (tok.includes('eyJ')) checkJwt(tok, start, found);
}

function nextSeparator(tok: string, from: number): number {
  for (let k = from; k < tok.length; k++) {
    const c = tok.charCodeAt(k);
    if (c === 47 || c === 46) return k;
  }
  return -1;
}

function checkPiece(tok: string, at: number, tokStart: number, found: SecretMatch[]): boolean {
  const c0 = tok[at];
  if (c0 !== 's' && c0 !== 'A' && c0 !== 'g' && c0 !== 'x' && c0 !== 'r') return false;
  const offset = tokStart + at;
  for (const rule of TOKEN_RULES) {
    rule.re.lastIndex = at;
    const m = rule.re.exec(tok);
    if (!m) continue;
    const s = m[0];
    if (at + s.length < tok.length && isKeyBodyChar(tok.charCodeAt(at + s.length))) continue; // part of a longer word
    if (rule.kind === 'openai-key' && s.startsWith('sk-ant-')) continue;
    const body = s.slice(rule.prefix(s));
    if (
      looksLikePlaceholder(body) ||
      entropy(body) < rule.minEntropy ||
      !mixedClasses(body, rule.kind === 'aws-access-key')
    )
      continue;
    found.push({ kind: rule.kind, start: offset, end: offset + s.length });
    return true;
  }
  return false;
}

/** A 40-character base64 run next to an AWS-ish name: `aws_secret_access_key = ...`. */
function checkAwsSecret(text: string, tok: string, start: number, found: SecretMatch[]): void {
  if (tok.length !== 40 || !/^[A-Za-z0-9/+]{40}$/.test(tok)) return;
  const before = text.slice(Math.max(0, start - 60), start).toLowerCase();
  if (!/(aws|secret)[a-z_]*\W{0,8}$/.test(before.replace(/\s+/g, ' '))) return;
  if (entropy(tok) < 4 || !mixedClasses(tok) || looksLikePlaceholder(tok)) return;
  found.push({ kind: 'aws-secret-key', start, end: start + 40 });
}

/** header.payload.signature where header and payload are base64url JSON objects (`eyJ` = `{"`). */
function checkJwt(tok: string, start: number, found: SecretMatch[]): void {
  const parts = tok.split('.');
  let offset = 0;
  for (let k = 0; k + 2 < parts.length; k++) {
    const h = parts[k]!;
    const at = h.lastIndexOf('eyJ');
    const header = at >= 0 ? h.slice(at) : '';
    const payload = parts[k + 1]!;
    const sig = parts[k + 2]!;
    if (
      header.length >= 10 &&
      payload.startsWith('eyJ') &&
      payload.length >= 10 &&
      sig.length >= 16 &&
      isB64Url(header) &&
      isB64Url(payload) &&
      isB64Url(sig)
    ) {
      const s = start + offset + at;
      found.push({ kind: 'jwt', start: s, end: s + header.length + payload.length + sig.length + 2 });
      return;
    }
    offset += h.length + 1;
  }
}

function isB64Url(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 45)) return false;
  }
  return true;
}

// ---------- PEM private keys ----------

function scanPem(text: string, found: SecretMatch[]): void {
  let from = 0;
  for (;;) {
    const begin = text.indexOf('-----BEGIN ', from);
    if (begin < 0) return;
    const headerEnd = text.indexOf('-----', begin + 11);
    if (headerEnd < 0 || headerEnd - begin > 60) {
      from = begin + 11;
      continue;
    }
    const label = text.slice(begin + 11, headerEnd);
    from = headerEnd + 5;
    if (!/PRIVATE KEY/.test(label)) continue;
    const endMarker = `-----END ${label}-----`;
    const endAt = text.indexOf(endMarker, from);
    const stop = endAt < 0 ? text.length : endAt + endMarker.length;
    const body = text.slice(from, endAt < 0 ? text.length : endAt);
    // "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----" in docs is not a key.
    let b64 = 0;
    for (let i = 0; i < body.length && b64 < 64; i++) {
      const c = body.charCodeAt(i);
      if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 43 || c === 47) b64++;
    }
    if (b64 >= 64) found.push({ kind: 'private-key', start: begin, end: stop });
    from = stop;
  }
}

// ---------- assignments: password = ..., api_key: ..., .env lines ----------

const SECRET_NAMES = [
  'password',
  'passwd',
  'pwd',
  'secret',
  'api_key',
  'api-key',
  'apikey',
  'access_token',
  'auth_token',
  'access_key',
  'private_key',
  'client_secret',
  'token',
  'credentials',
];
/** .env keys whose value is a secret whatever it looks like (when it is not a placeholder). */
const SECRETISH_KEY = /(KEY|SECRET|TOKEN|PASSWORD|PASSWD|PASS|PWD|CREDENTIAL|AUTH|PRIVATE|DSN|SALT|COOKIE|SESSION)/i;

function scanAssignments(text: string, found: SecretMatch[], envFile: boolean): void {
  const n = text.length;
  const envLines = new Set<number>();
  if (envFile) {
    let lineStart = 0;
    while (lineStart <= n) {
      let lineEnd = text.indexOf('\n', lineStart);
      if (lineEnd < 0) lineEnd = n;
      if (lineEnd > lineStart && checkEnvLine(text.slice(lineStart, lineEnd), lineStart, found))
        envLines.add(lineStart);
      lineStart = lineEnd + 1;
    }
  }
  // Each name is looked for with one native indexOf pass over the lower-cased text; each hit is
  // parsed within a bounded window, at most once per line and name.
  const lower = text.toLowerCase();
  const done = new Set<number>(); // line starts that already have a generic secret
  for (const name of SECRET_NAMES) {
    let at = lower.indexOf(name);
    // The current line, tracked forward only (hits come in order), so finding it stays linear.
    let lineStart = 0;
    let lineEnd = -1;
    let triesOnLine = 0;
    while (at >= 0) {
      if (at > lineEnd) {
        // Stops at the previous line's end at the latest, so each character is scanned back once.
        lineStart = text.lastIndexOf('\n', at) + 1;
        lineEnd = text.indexOf('\n', at);
        if (lineEnd < 0) lineEnd = n;
        triesOnLine = 0;
      }
      if (triesOnLine++ < 4 && !done.has(lineStart) && !envLines.has(lineStart)) {
        const hit = parseAssignment(text, at + name.length, lineEnd);
        if (hit && looksRandom(hit.value) && !looksLikePlaceholder(hit.value) && !looksLikeCode(hit.value)) {
          found.push({ kind: 'generic-secret', start: hit.start, end: hit.start + hit.value.length });
          done.add(lineStart);
        }
      }
      at = lower.indexOf(name, at + name.length);
    }
  }
}

/** `KEY=value` (optionally `export KEY=value`), in a .env file. */
function checkEnvLine(line: string, offset: number, found: SecretMatch[]): boolean {
  const m = /^\s{0,16}(?:export\s{1,8})?([A-Za-z_][A-Za-z0-9_.]{0,127})\s{0,8}=\s{0,8}/.exec(line);
  if (!m) return false;
  let vStart = m[0].length;
  let vEnd = line.length;
  const q = line[vStart];
  if (q === '"' || q === "'") {
    const close = line.indexOf(q, vStart + 1);
    vStart++;
    vEnd = close < 0 ? line.length : close;
  } else {
    const hash = line.indexOf(' #', vStart);
    if (hash >= 0) vEnd = hash;
    while (vEnd > vStart && /\s/.test(line[vEnd - 1]!)) vEnd--;
  }
  const value = line.slice(vStart, vEnd);
  if (!value || looksLikePlaceholder(value) || /^(true|false|yes|no|on|off|null|none|\d+(\.\d+)?)$/i.test(value))
    return true;
  const key = m[1]!;
  // A URL is a secret only when it carries credentials (postgres://user:pass@host).
  const isUrl = /^[a-z][a-z0-9+.-]{1,20}:\/\//i.test(value);
  const secret = isUrl ? /:\/\/[^/\s:@]+:[^/\s@]+@/.test(value) : SECRETISH_KEY.test(key) || looksRandom(value);
  if (secret) found.push({ kind: 'env-file', start: offset + vStart, end: offset + vEnd });
  return true;
}

/**
 * After a name: the rest of the identifier (at most 64 characters), an optional closing quote,
 * `=`/`:`/`:=`/`=>`, an optional quote, the value (at most MAX_VALUE characters), before `lineEnd`.
 */
function parseAssignment(line: string, i: number, lineEnd: number): { start: number; value: string } | undefined {
  const idEnd = Math.min(lineEnd, i + 64);
  while (i < idEnd && isKeyBodyChar(line.charCodeAt(i))) i++;
  if (i === idEnd && idEnd < lineEnd) return undefined;
  const n = Math.min(lineEnd, i + 16 + MAX_VALUE);
  if (line[i] === '"' || line[i] === "'" || line[i] === '`') i++;
  while (i < n && (line[i] === ' ' || line[i] === '\t')) i++;
  if (line[i] === ':' && line[i + 1] === '=') i += 2;
  else if (line[i] === '=' && line[i + 1] === '>') i += 2;
  else if (line[i] === '=' || line[i] === ':') i++;
  else return undefined;
  if (line[i] === '=') return undefined; // ==, a comparison
  while (i < n && (line[i] === ' ' || line[i] === '\t')) i++;
  let quote: string | undefined;
  if (line[i] === '"' || line[i] === "'" || line[i] === '`') quote = line[i++];
  const start = i;
  while (i < n && i - start < MAX_VALUE) {
    const ch = line[i]!;
    if (
      quote
        ? ch === quote
        : ch === ' ' || ch === '\t' || ch === ',' || ch === ';' || ch === ')' || ch === '"' || ch === "'"
    )
      break;
    i++;
  }
  if (i === start) return undefined;
  return { start, value: line.slice(start, i) };
}

// ---------- heuristics ----------

/** Shannon entropy in bits per character. */
export function entropy(s: string): number {
  if (!s.length) return 0;
  const counts = new Map<number, number>();
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  let h = 0;
  for (const k of counts.values()) {
    const p = k / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/** Letters and digits both present (or, for upper-case-only keys, digits and upper case). */
function mixedClasses(s: string, upperOnly = false): boolean {
  let digit = false;
  let letter = false;
  for (let i = 0; i < s.length && !(digit && letter); i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) digit = true;
    else if ((c >= 65 && c <= 90) || (!upperOnly && c >= 97 && c <= 122)) letter = true;
  }
  return digit && letter;
}

/** A value that looks random enough to be a password or key: long enough, varied, not a word. */
function looksRandom(v: string): boolean {
  if (v.length < 8 || v.length > MAX_VALUE) return false;
  let classes = 0;
  if (/[a-z]/.test(v)) classes++;
  if (/[A-Z]/.test(v)) classes++;
  if (/[0-9]/.test(v)) classes++;
  if (/[^A-Za-z0-9]/.test(v)) classes++;
  return classes >= 2 && entropy(v) >= (v.length >= 20 ? 3.5 : 2.75);
}

const PLACEHOLDER = new RegExp(
  '(your|example|changeme|change_me|placeholder|dummy|redacted|xxxx|\\*\\*\\*|\\.\\.\\.|<|>|\\$\\{|\\{\\{|%\\(|' +
    'todo|fixme|replace|insert|sample|fake|test_?key|secret_?here|key_?here|000000|123456|abcdef|password)',
  'i',
);

function looksLikePlaceholder(v: string): boolean {
  if (PLACEHOLDER.test(v)) return true;
  // One character repeated (sk-aaaaaaaa...), or a short cycle (abcabcabc).
  return entropy(v) < 2;
}

/** `req.body.password`, `os.environ["X"]`, `getSecret()`, `this.token`: code that reads a secret, not one. */
function looksLikeCode(v: string): boolean {
  if (/[()[\]{}]/.test(v)) return true;
  if (/^(process\.env|os\.environ|env|config|settings|this|self|req|request|props|args|options|opts|ctx)\b/i.test(v))
    return true;
  // dotted identifiers: a.b.c
  return /^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)+$/.test(v) || (/^[A-Za-z_$][\w$]*$/.test(v) && !/\d/.test(v));
}

/** Sorted by start; where two overlap, the one found first (more specific scanners run first) wins. */
function dedupe(found: SecretMatch[]): SecretMatch[] {
  const order = found.map((f, i) => ({ f, i })).sort((a, b) => a.f.start - b.f.start || a.i - b.i);
  const out: SecretMatch[] = [];
  for (const { f } of order) {
    const last = out.at(-1);
    if (last && f.start < last.end) {
      // Keep the specific kind; widen to cover both.
      if (last.kind === 'generic-secret' || last.kind === 'env-file') {
        if (f.kind !== 'generic-secret' && f.kind !== 'env-file') last.kind = f.kind;
      }
      last.end = Math.max(last.end, f.end);
      continue;
    }
    out.push({ ...f });
  }
  return out;
}
