import { describe, expect, it } from 'vitest';
import { ROUTE_TABLE } from '../route-table.js';
import { buildOpenApiDocument, toOpenApiPath } from './openapi.js';

interface Operation {
  operationId: string;
  security: unknown[];
  parameters: { name: string; in: string; required: boolean }[];
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, { content: Record<string, { schema: unknown }> }>;
  'x-riskd-role': string;
}

describe('buildOpenApiDocument', () => {
  const doc = buildOpenApiDocument({ version: '1.2.3', serverUrl: 'http://127.0.0.1:9999' }) as {
    openapi: string;
    info: { version: string };
    servers: { url: string }[];
    paths: Record<string, Record<string, Operation>>;
  };
  const operation = (method: string, path: string): Operation =>
    doc.paths[toOpenApiPath(path)]![method.toLowerCase()]!;

  it('when built then it is OpenAPI 3.1 with the given version and server', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.version).toBe('1.2.3');
    expect(doc.servers[0]!.url).toBe('http://127.0.0.1:9999');
  });

  it('when built then every route of the table is an operation with a response per status', () => {
    const count = Object.values(doc.paths).reduce((n, ops) => n + Object.keys(ops).length, 0);
    expect(count).toBe(ROUTE_TABLE.length);
    for (const route of ROUTE_TABLE) {
      const op = operation(route.method, route.path);
      expect(Object.keys(op.responses).map(Number)).toEqual([...route.statuses]);
      expect(op['x-riskd-role']).toBe(route.role);
      expect(op.security).toEqual(route.role === 'public' ? [] : [{ bearerAuth: [] }]);
    }
  });

  it('when a path has a parameter then it is written {id} and declared as a required path parameter', () => {
    expect(toOpenApiPath('/api/v1/admin/lockouts/:id/clear')).toBe('/api/v1/admin/lockouts/{id}/clear');
    const op = operation('GET', '/api/v1/accounts/:id/pnl');
    expect(op.parameters.find((p) => p.in === 'path')).toMatchObject({ name: 'id', required: true });
    expect(op.parameters.filter((p) => p.in === 'query').map((p) => p.name)).toEqual([
      'from',
      'to',
      'maxPoints',
    ]);
    expect(op.parameters.every((p) => p.in === 'path' || p.required === false)).toBe(true);
  });

  it('when routes stream or print text then their success content types say so', () => {
    expect(Object.keys(operation('GET', '/api/v1/events').responses['200']!.content)).toEqual([
      'text/event-stream',
    ]);
    expect(Object.keys(operation('GET', '/metrics').responses['200']!.content)).toEqual(['text/plain']);
    expect(Object.keys(operation('GET', '/metrics').responses['500']!.content)).toEqual(['application/json']);
    expect(operation('PUT', '/api/v1/admin/rules').requestBody!.content['application/json']).toBeDefined();
  });

  it('when built twice then the documents are equal but do not share objects with the route schemas', () => {
    const again = buildOpenApiDocument({ version: '1.2.3', serverUrl: 'http://127.0.0.1:9999' });
    expect(again).toEqual(doc);
    (again as { paths: Record<string, unknown> }).paths = {};
    expect(Object.keys(buildOpenApiDocument().paths as object).length).toBeGreaterThan(0);
  });
});
