// One binary file of named typed arrays, so that an index is saved and read as buffers instead of
// as a JSON text (serialising a large index as JSON held an event loop for seconds): "GBIX", the
// length of a JSON table of contents, the table, then each array's bytes at an 8-byte boundary.
// Reading returns views into the one buffer read (no copy) after checking every bound.
import os from 'node:os';
import { z } from 'zod';

export type Section = Uint8Array | Uint16Array | Uint32Array;

const MAGIC = 0x58494247; // "GBIX" read as a little-endian u32
const ALIGN = 8;
const PREFIX_BYTES = 8;

const Toc = z.object({
  /** Typed arrays are in this machine's byte order; another order is refused, not misread. */
  endianness: z.enum(['LE', 'BE']),
  sections: z
    .array(
      z.object({
        name: z.string().min(1).max(100),
        type: z.enum(['u8', 'u16', 'u32']),
        length: z.number().int().nonnegative(),
      }),
    )
    .max(100),
});

const TYPES = {
  u8: Uint8Array,
  u16: Uint16Array,
  u32: Uint32Array,
} as const;

function typeOf(a: Section): keyof typeof TYPES {
  return a instanceof Uint8Array ? 'u8' : a instanceof Uint16Array ? 'u16' : 'u32';
}

const align = (n: number) => Math.ceil(n / ALIGN) * ALIGN;

/** The file's bytes as a list of buffers (written one after another, never concatenated). */
export function encodeSections(sections: Record<string, Section>): Buffer[] {
  const toc = JSON.stringify({
    endianness: os.endianness(),
    sections: Object.entries(sections).map(([name, a]) => ({ name, type: typeOf(a), length: a.length })),
  } satisfies z.infer<typeof Toc>);
  const tocBytes = Buffer.byteLength(toc);
  const head = Buffer.alloc(align(PREFIX_BYTES + tocBytes));
  head.writeUInt32LE(MAGIC, 0);
  head.writeUInt32LE(tocBytes, 4);
  head.write(toc, PREFIX_BYTES);
  const out: Buffer[] = [head];
  for (const a of Object.values(sections)) {
    out.push(Buffer.from(a.buffer, a.byteOffset, a.byteLength));
    const pad = align(a.byteLength) - a.byteLength;
    if (pad) out.push(Buffer.alloc(pad));
  }
  return out;
}

/** The named arrays of a file encodeSections() wrote; throws on anything else. */
export function decodeSections(file: Buffer): Map<string, Section> {
  if (file.length < PREFIX_BYTES || file.readUInt32LE(0) !== MAGIC) throw new Error('not an index file');
  const tocBytes = file.readUInt32LE(4);
  if (PREFIX_BYTES + tocBytes > file.length) throw new Error('index file cut short in its table of contents');
  const toc = Toc.parse(JSON.parse(file.toString('utf8', PREFIX_BYTES, PREFIX_BYTES + tocBytes)));
  if (toc.endianness !== os.endianness()) throw new Error(`index file written on a ${toc.endianness} machine`);
  // Views need their offset aligned to the element size: copy when the buffer itself is not.
  const buf = file.byteOffset % ALIGN === 0 ? file : Buffer.from(file);
  const out = new Map<string, Section>();
  let at = align(PREFIX_BYTES + tocBytes);
  for (const s of toc.sections) {
    const Type = TYPES[s.type];
    const bytes = s.length * Type.BYTES_PER_ELEMENT;
    if (at + bytes > buf.length) throw new Error(`index file cut short in ${s.name}`);
    if (out.has(s.name)) throw new Error(`index file holds ${s.name} twice`);
    out.set(s.name, new Type(buf.buffer as ArrayBuffer, buf.byteOffset + at, s.length));
    at = align(at + bytes);
  }
  if (at < buf.length) throw new Error('index file has bytes after its last section');
  return out;
}
