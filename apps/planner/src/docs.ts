/**
 * `/docs`: the OpenAPI document as a Swagger UI page (@fastify/swagger-ui, its assets served from
 * the package, no CDN), with the JSON still served at `/docs/json` (and YAML at `/docs/yaml`).
 */
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

export const DOCS_PREFIX = '/docs';

export async function registerDocs(app: FastifyInstance): Promise<void> {
  await app.register(swaggerUi, { routePrefix: DOCS_PREFIX });
}
