// The request path the server routes on: plain targets skip URL parsing, and
// every target gives the same path the WHATWG URL parser would.
import { describe, expect, it } from 'vitest';
import { requestPath } from '../src/http/routes.js';

describe('requestPath', () => {
  it("gives the URL parser's path (v3beta mapped to v3) for plain and unusual targets alike", () => {
    const targets = [
      '/v3/kv/put',
      '/v3/kv/put?x=1',
      '/v3beta/kv/range',
      '/a/../v3/kv/put',
      '/v3/kv/%70ut',
      'http://h:1/v3/kv/put?q',
      '/metrics?',
      '/',
      '/v3//kv/range#frag',
    ];
    for (const target of targets) {
      const parsed = new URL(target, 'http://x').pathname;
      const expected = parsed.startsWith('/v3beta/')
        ? `/v3/${parsed.slice('/v3beta/'.length)}`
        : parsed;
      expect(requestPath(target), target).toBe(expected);
    }
  });

  it('does not throw for a target the URL parser refuses; no route matches what it returns', () => {
    expect(() => requestPath('http://[bad/v3/kv/put')).not.toThrow();
    expect(requestPath('http://[bad/v3/kv/put')).not.toBe('/v3/kv/put');
  });
});
