// Full-text ranking of chunks: MiniSearch (BM25+ scoring, documents added and discarded one by
// one, serialisable) over three fields: the chunk's text, the names it defines (a match there
// counts most) and its file's path. Terms come from terms.ts, for documents and queries alike.
import MiniSearch, { type Options } from 'minisearch';
import { terms } from './terms';

export interface ChunkDocument {
  id: number;
  text: string;
  /** Defined names, space-separated. */
  symbols: string;
  path: string;
}

const OPTIONS: Options<ChunkDocument> = {
  idField: 'id',
  fields: ['text', 'symbols', 'path'],
  storeFields: [],
  tokenize: terms,
  // terms() already lower-cases, stems and drops stop words.
  processTerm: (term) => term,
  searchOptions: { boost: { symbols: 3, path: 1.5 }, combineWith: 'OR', prefix: false, fuzzy: false },
};

export class Bm25Index {
  private constructor(private readonly search: MiniSearch<ChunkDocument>) {}

  static create(): Bm25Index {
    return new Bm25Index(new MiniSearch(OPTIONS));
  }

  /** From what toJSON() wrote; throws on anything else. */
  static fromJSON(json: string): Bm25Index {
    return new Bm25Index(MiniSearch.loadJSON(json, OPTIONS));
  }

  add(doc: ChunkDocument): void {
    this.search.add(doc);
  }

  /** Forgets the chunks (MiniSearch cleans its term lists up later, in the background). */
  remove(ids: readonly number[]): void {
    const present = ids.filter((id) => this.search.has(id));
    if (present.length) this.search.discardAll(present);
  }

  has(id: number): boolean {
    return this.search.has(id);
  }

  get size(): number {
    return this.search.documentCount;
  }

  /** The best `limit` chunks for the query, best first. */
  query(text: string, limit: number): { id: number; score: number }[] {
    return this.search
      .search(text)
      .slice(0, limit)
      .map((r) => ({ id: r.id as number, score: r.score }));
  }

  toJSON(): string {
    return JSON.stringify(this.search);
  }
}
