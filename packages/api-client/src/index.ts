export {
  API_PREFIX,
  DEFAULT_API_PORT,
  ROUTE_TABLE,
  routeKey,
  type HttpMethod,
  type RouteTableEntry,
} from './route-table.js';
export {
  findRoute,
  ROUTES,
  type RouteDefinition,
  type RouteMediaType,
  type RouteSchemas,
} from './lib/route-definitions.js';
export * from './lib/wire-types.js';
export {
  ISO_INSTANT_PATTERN,
  isIsoInstant,
  MONEY_PATTERN,
  TIME_OF_DAY_PATTERN,
  type JsonSchema,
} from './lib/schemas/schema-helpers.js';
export * from './lib/schemas/wire-schemas.js';
export { buildOpenApiDocument, REASON_PHRASES, toOpenApiPath, type OpenApiOptions } from './lib/openapi.js';
export { renderRouteTableMarkdown, ROUTE_TABLE_BEGIN, ROUTE_TABLE_END } from './lib/route-table-markdown.js';
export {
  ApiClientError,
  RiskdApiError,
  RiskdNetworkError,
  type ApiClientErrorCode,
} from './lib/client/api-client-errors.js';
export { fillPath, queryString, RiskdClient, type RiskdClientOptions } from './lib/client/riskd-client.js';
export {
  LiveEventStream,
  type LiveStreamConnector,
  type LiveStreamOptions,
  type LiveStreamState,
} from './lib/client/live-event-stream.js';
export { SseParser, type SseMessage, type SseParserHandlers } from './lib/client/sse-parser.js';
