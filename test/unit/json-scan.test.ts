// Reading a frame's id without parsing it, so that a frame nested too deep to parse still gets its
// error answered on its own id (JSON-RPC), and the scan stays linear for hostile input.
import assert from 'node:assert/strict';
import { peekTopLevelId } from '../../shared/ws-transport';

describe('peekTopLevelId', () => {
  const deep = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;

  it('finds a string or number id at the top level, before or after deep params', () => {
    assert.equal(peekTopLevelId(`{"jsonrpc":"2.0","id":1,"method":"m","params":${deep(100_000)}}`), 1);
    assert.equal(peekTopLevelId(`{"jsonrpc":"2.0","method":"m","params":${deep(100_000)}, "id" : "x-1"}`), 'x-1');
    assert.equal(peekTopLevelId('{"id":-2.5e3}'), -2500);
    assert.equal(peekTopLevelId('{"\\u0069\\u0064":7}'), 7, 'an escaped key is the same key');
    assert.equal(peekTopLevelId('{"id":"a\\"b"}'), 'a"b');
    assert.equal(peekTopLevelId('{"id":1,"id":2}'), 2, 'the last one wins, as with JSON.parse');
  });

  it('ignores ids that are nested, inside strings, or not strings or numbers', () => {
    assert.equal(peekTopLevelId(`{"params":{"id":3},"m":"\\"id\\":4"}`), null);
    assert.equal(peekTopLevelId('{"x":"{\\"id\\":5}"}'), null);
    assert.equal(peekTopLevelId('{"id":null}'), null);
    assert.equal(peekTopLevelId('{"id":{"a":1}}'), null);
    assert.equal(peekTopLevelId('[{"id":1}]'), null, 'a batch has no single id');
    assert.equal(peekTopLevelId('{"id":"unterminated'), null);
    assert.equal(peekTopLevelId('{"\\x":1,"id":6}'), 6, 'a bad escape in another key does not throw');
    assert.equal(peekTopLevelId(`{"a":${'['.repeat(200_000)}`), null);
  });
});
