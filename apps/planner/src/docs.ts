/**
 * `/docs`: the OpenAPI document as a Swagger UI page (@fastify/swagger-ui, its assets served from
 * the package, no CDN), with the JSON still served at `/docs/json` (and YAML at `/docs/yaml`).
 */
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

export const DOCS_PREFIX = '/docs';

export async function registerDocs(app: FastifyInstance): Promise<void> {
  // @fastify/swagger-ui redirects /static/index.html to the page by rewriting the URL's end, so a
  // query string made it redirect to itself forever: send those to the page here, query dropped.
  const staticIndex = `${DOCS_PREFIX}/static/index.html?`;
  app.addHook('onRequest', (request, reply, done) => {
    if (!request.url.startsWith(staticIndex)) return done();
    void reply.redirect(`${DOCS_PREFIX}/`);
  });
  await app.register(swaggerUi, { routePrefix: DOCS_PREFIX });
}
