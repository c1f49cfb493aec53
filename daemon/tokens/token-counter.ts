// The daemon's one token counter: how many tokens texts are for a given model, and how exactly that
// was counted. Local models count with their own GGUF vocabulary in the model host (one IPC request
// for all of a call's uncounted texts); the others with a BPE encoding in-process (tokenizers.ts
// says which, and a stand-in's ratio). Every text's count is cached by tokenizer and hash
// (token-cache.ts), so a conversation's earlier turns are counted once. A local model whose own
// count fails (its file is gone, the host is down) gets the o200k_base stand-in, labelled
// 'approximate'; chars/4, labelled 'chars4', only when no tokenizer could run at all.
import type { TokenCountMethod } from '../../shared/protocol';
import type { Logger } from '../log';
import type { ModelHostApi } from '../model-host-api';
import { type CountTokens, loadBpe, loadedBpe } from './bpe';
import { TokenCache } from './token-cache';
import { type BpeTokenizer, localStandIn, type Tokenizer, type TokenizerModel, tokenizerFor } from './tokenizers';

export interface TokenCount {
  tokens: number;
  method: TokenCountMethod;
  /** For people: "o200k_base", "local/qwen's own (its GGUF vocabulary)", "o200k_base × 1.25 (Claude)". */
  tokenizer: string;
}

/** How a count may be made: its cancellation, whether to wait for a vocabulary, hashes already computed. */
export interface CountOptions {
  signal?: AbortSignal;
  /** A local model's vocabulary not open yet: 'wait' (default) opens it; 'background' counts with the stand-in. */
  open?: 'wait' | 'background';
  /** Texts' hashes by text, shared by a request's counts so that each text is hashed once. */
  hashes?: Map<string, string>;
}

export interface TokenCounterOptions {
  /** Local models' own counts; absent (or a host without tokenize): their stand-in. */
  modelHost?: Pick<ModelHostApi, 'tokenize'>;
  /** Cached counts kept at most (default 20,000). */
  cacheEntries?: number;
  logger: Logger;
}

const EXACTNESS: Record<TokenCountMethod, number> = { exact: 0, approximate: 1, chars4: 2 };

/** The less exact of two methods: what a total made of both counts is. */
export function leastExact(a: TokenCountMethod, b: TokenCountMethod): TokenCountMethod {
  return EXACTNESS[a] >= EXACTNESS[b] ? a : b;
}

/** About four characters a token: what every count was before tokenizers, and the last resort now. */
export function chars4(texts: readonly string[]): TokenCount {
  let chars = 0;
  for (const t of texts) chars += t.length;
  return { tokens: Math.ceil(chars / 4), method: 'chars4', tokenizer: 'chars / 4' };
}

export class TokenCounter {
  readonly cache: TokenCache;
  private readonly log: Logger;
  /** Local models whose failed count was logged (once each, until a count works again). */
  private readonly warned = new Set<string>();

  constructor(private readonly opts: TokenCounterOptions) {
    this.cache = new TokenCache(opts.cacheEntries);
    this.log = opts.logger;
  }

  /** The tokens of `texts` together, for model `m`; a local model's vocabulary is opened if need be. */
  count(m: TokenizerModel, texts: readonly string[], signal?: AbortSignal): Promise<TokenCount> {
    return this.countWith(tokenizerFor(m), texts, { signal });
  }

  /**
   * The tokens of `texts` together, with tokenizer `t`. `open: 'background'` never waits for a local
   * model's vocabulary to open (seconds): until it is, the stand-in counts (routing asks this way).
   */
  async countWith(t: Tokenizer, texts: readonly string[], opts: CountOptions = {}): Promise<TokenCount> {
    if (t.kind === 'model-host') {
      const own = await this.countLocal(t.modelId, t.name, texts, opts);
      if (own) return own;
      return this.countBpe(localStandIn(t.modelId), texts, opts.hashes);
    }
    return this.countBpe(t, texts, opts.hashes);
  }

  /**
   * The same count without waiting: a local model's text that was not counted before, or an
   * encoding not loaded yet, is counted by the stand-in, or by chars / 4 (and labelled so).
   */
  countSync(m: TokenizerModel, text: string): TokenCount {
    const t = tokenizerFor(m);
    if (t.kind === 'model-host') {
      const tokens = text ? this.cache.get(TokenCache.key(localKey(t.modelId), text)) : 0;
      if (tokens !== undefined) return { tokens, method: 'exact', tokenizer: t.name };
      return this.bpeNow(localStandIn(t.modelId), [text]);
    }
    return this.bpeNow(t, [text]);
  }

  /** Forgets local models' counts: a model's file may have changed with the config. */
  forgetLocal(): void {
    this.cache.forget(localKey(''));
  }

  private async countBpe(t: BpeTokenizer, texts: readonly string[], hashes?: Map<string, string>): Promise<TokenCount> {
    try {
      await loadBpe(t.encoding);
    } catch (err) {
      this.log.warn('tokenizer failed to load; counting at four characters a token', {
        encoding: t.encoding,
        error: (err as Error).message,
      });
    }
    return this.bpeNow(t, texts, hashes);
  }

  private bpeNow(t: BpeTokenizer, texts: readonly string[], hashes?: Map<string, string>): TokenCount {
    const count = loadedBpe(t.encoding);
    if (!count) return chars4(texts);
    let raw = 0;
    for (const text of texts) raw += this.cached(t.encoding, text, count, hashes);
    return { tokens: Math.ceil(raw * t.ratio), method: t.method, tokenizer: t.name };
  }

  private cached(tokenizer: string, text: string, count: CountTokens, hashes?: Map<string, string>): number {
    if (!text) return 0;
    const key = TokenCache.key(tokenizer, text, hashOf(text, hashes));
    let n = this.cache.get(key);
    if (n === undefined) {
      n = count(text);
      this.cache.set(key, n);
    }
    return n;
  }

  /** The model host's count, or undefined when it cannot give one (then the caller uses the stand-in). */
  private async countLocal(
    modelId: string,
    tokenizer: string,
    texts: readonly string[],
    { signal, open, hashes }: CountOptions,
  ): Promise<TokenCount | undefined> {
    const host = this.opts.modelHost;
    if (!host?.tokenize) return undefined;
    const prefix = localKey(modelId);
    const counts = new Map<string, number>();
    const missing: string[] = [];
    for (const text of new Set(texts)) {
      if (!text) continue;
      const n = this.cache.get(TokenCache.key(prefix, text, hashOf(text, hashes)));
      if (n === undefined) missing.push(text);
      else counts.set(text, n);
    }
    if (missing.length) {
      try {
        const res = await host.tokenize({ modelId, texts: missing, ...(open ? { open } : {}) }, signal);
        if (res.source === 'opening') return undefined;
        missing.forEach((text, i) => {
          const n = res.counts[i] ?? 0;
          counts.set(text, n);
          this.cache.set(TokenCache.key(prefix, text, hashOf(text, hashes)), n);
        });
        this.warned.delete(modelId);
      } catch (err) {
        if (!signal?.aborted && !this.warned.has(modelId)) {
          this.warned.add(modelId);
          this.log.warn("a local model's own tokenizer failed; counting its tokens with the o200k_base stand-in", {
            model: modelId,
            error: (err as Error).message,
          });
        }
        return undefined;
      }
    }
    let tokens = 0;
    for (const text of texts) tokens += counts.get(text) ?? 0;
    return { tokens, method: 'exact', tokenizer };
  }
}

/** The text's hash, from (and into) the request's memo when there is one. */
function hashOf(text: string, hashes?: Map<string, string>): string {
  let h = hashes?.get(text);
  if (h === undefined) {
    h = TokenCache.hash(text);
    hashes?.set(text, h);
  }
  return h;
}

function localKey(modelId: string): string {
  return `local:${modelId}`;
}
