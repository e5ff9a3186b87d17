import { DEFAULT_API_PORT } from '../route-table.js';
import { ROUTES, type RouteDefinition } from './route-definitions.js';
import type { JsonSchema } from './schemas/schema-helpers.js';
import type { OpenApiDocument } from './wire-types.js';

/** Options of {@link buildOpenApiDocument}. */
export interface OpenApiOptions {
  /** `info.version` (the daemon's version); default `0.0.0`. */
  readonly version?: string;
  /** `servers[0].url`; default `http://127.0.0.1:7311`. */
  readonly serverUrl?: string;
}

/** HTTP reason phrases of every status the route table uses. */
export const REASON_PHRASES: Readonly<Record<number, string>> = {
  200: 'OK',
  202: 'Accepted',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  406: 'Not Acceptable',
  409: 'Conflict',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** `/api/v1/accounts/:id` -> `/api/v1/accounts/{id}`. */
export function toOpenApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function parameters(route: RouteDefinition): unknown[] {
  const out: unknown[] = [];
  const add = (where: 'path' | 'query', schema: JsonSchema | undefined): void => {
    if (!schema) return;
    const properties = (schema['properties'] ?? {}) as Record<string, JsonSchema>;
    const required = new Set((schema['required'] ?? []) as string[]);
    for (const [name, property] of Object.entries(properties)) {
      const { description, ...rest } = property;
      out.push({
        name,
        in: where,
        required: where === 'path' || required.has(name),
        ...(typeof description === 'string' ? { description } : {}),
        schema: rest,
      });
    }
  };
  add('path', route.schema.params);
  add('query', route.schema.querystring);
  return out;
}

function responses(route: RouteDefinition): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const status of route.statuses) {
    const schema = route.schema.response[status];
    const mediaType = status < 400 ? route.produces : 'application/json';
    const headers =
      status === 429
        ? { 'Retry-After': { description: 'Seconds before the next attempt.', schema: { type: 'integer' } } }
        : undefined;
    out[String(status)] = {
      description: REASON_PHRASES[status] ?? String(status),
      ...(headers ? { headers } : {}),
      content: { [mediaType]: { schema } },
    };
  }
  return out;
}

const ROLE_NOTES: Record<RouteDefinition['role'], string> = {
  public: 'Open to local callers, no token.',
  trader:
    'Needs a trader or admin token (`Authorization: Bearer`), or no token when the admin chose no trader credential.',
  admin:
    'Needs an admin token (401 without or with a wrong token, 403 with a trader token, whatever the body).',
};

/**
 * The control API as an OpenAPI 3.1 document, built from the route table and the route schemas
 * (the daemon serves it at `GET /api/v1/openapi.json`).
 */
export function buildOpenApiDocument(options: OpenApiOptions = {}): OpenApiDocument {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of ROUTES) {
    const path = toOpenApiPath(route.path);
    const operations = (paths[path] ??= {});
    operations[route.method.toLowerCase()] = {
      operationId: route.operationId,
      tags: [route.tag],
      summary: route.summary,
      description: `${route.description}\n\n${ROLE_NOTES[route.role]}`,
      'x-riskd-role': route.role,
      ...(route.role === 'public' ? { security: [] } : { security: [{ bearerAuth: [] }] }),
      parameters: parameters(route),
      ...(route.schema.body
        ? { requestBody: { required: true, content: { 'application/json': { schema: route.schema.body } } } }
        : {}),
      responses: responses(route),
    };
  }
  return structuredClone({
    openapi: '3.1.0',
    info: {
      title: 'Riskd control API',
      version: options.version ?? '0.0.0',
      description:
        'The control API of the Riskd daemon, on 127.0.0.1 only. Money is a decimal string of dollars with two decimals; instants are ISO 8601 strings in UTC.',
    },
    servers: [{ url: options.serverUrl ?? `http://127.0.0.1:${DEFAULT_API_PORT}` }],
    tags: [
      { name: 'system', description: 'Health, metrics and this document.' },
      { name: 'auth', description: 'Tokens.' },
      { name: 'read', description: 'Read-only views, open to local callers.' },
      { name: 'trader', description: "The trader's own routes." },
      { name: 'admin', description: 'Admin routes.' },
    ],
    components: {
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          description:
            'A token from POST /api/v1/auth/login (admin: 15 minutes, trader: 12 hours by default).',
        },
      },
    },
    paths,
  });
}
