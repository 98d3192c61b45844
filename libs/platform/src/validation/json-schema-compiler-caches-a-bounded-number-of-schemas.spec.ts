import { describe, expect, it } from '@jest/globals';
import { JsonSchemaCompiler } from './json-schema.compiler.js';

describe('the JSON Schema compiler', () => {
  it('compiles a schema once, keyed by its text, whatever object carries it', () => {
    const compiler = new JsonSchemaCompiler();
    for (let n = 0; n < 5; n++) expect(compiler.problems({ type: 'integer' }, n, 'input')).toEqual([]);
    expect(compiler.problems({ type: 'integer' }, 'x', 'input')).toEqual(['input: must be integer']);
    expect(compiler.cachedCount()).toBe(1);
  });

  it('keeps at most 500 compiled schemas, dropping the least recently used', () => {
    const compiler = new JsonSchemaCompiler();
    for (let n = 0; n < 520; n++) compiler.schemaProblem({ type: 'integer', minimum: n });
    expect(compiler.cachedCount()).toBe(500);
  });

  it('keeps schemas apart: an $id one schema declares is not resolvable from another', () => {
    const compiler = new JsonSchemaCompiler();
    expect(compiler.schemaProblem({ $id: 'https://example.com/secret.json', type: 'string' })).toBeNull();
    expect(compiler.schemaProblem({ $id: 'https://example.com/secret.json', type: 'number' })).toBeNull();
    expect(compiler.schemaProblem({ $ref: 'https://example.com/secret.json' })).toMatch(/can't resolve reference/);
  });

  it('names nested places as paths, quoting names that are not identifiers', () => {
    const compiler = new JsonSchemaCompiler();
    const schema = { type: 'object', properties: { 'a b': { type: 'array', items: { type: 'object', required: ['x/y'] } } } };
    expect(compiler.problems(schema, { 'a b': [{}, {}] }, 'input')).toEqual(['input["a b"][0]["x/y"]: is required', 'input["a b"][1]["x/y"]: is required']);
  });
});
