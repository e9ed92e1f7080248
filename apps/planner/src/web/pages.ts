/**
 * The pages a person uses: the search page (`/`) and the jobs dashboard (`/dashboard`, its job
 * lists and job views), plus the favicon. Server-rendered HTML with a little plain script and no
 * build step (see layout.ts); every figure comes from the JSON API.
 */
import type { FastifyInstance } from 'fastify';
import type { Dispatcher } from 'jobdispatch';
import { jobPage, listPage, overviewPage, unknownJobPage } from './dashboard-pages.js';
import { FAVICON_SVG } from './layout.js';
import { searchPage } from './search-page.js';

export function webRoutes(app: FastifyInstance, dispatcher: Dispatcher): void {
  const hide = { schema: { hide: true } };
  const search = searchPage();
  const overview = overviewPage();
  const list = listPage();
  app.get('/', hide, (_request, reply) => reply.type('text/html').send(search));
  app.get('/dashboard', hide, (_request, reply) => reply.type('text/html').send(overview));
  app.get('/dashboard/jobs', hide, (_request, reply) => reply.type('text/html').send(list));
  app.get<{ Params: { id: string } }>('/dashboard/jobs/:id', hide, async (request, reply) => {
    const { id } = request.params;
    const job = id.length <= 128 ? await dispatcher.get(id) : undefined;
    if (job === undefined) return reply.code(404).type('text/html').send(unknownJobPage(id));
    return reply.type('text/html').send(jobPage(id));
  });
  app.get('/favicon.svg', hide, (_request, reply) =>
    reply.type('image/svg+xml').header('cache-control', 'public, max-age=86400').send(FAVICON_SVG),
  );
  // Browsers that ignore the icon link ask for /favicon.ico.
  app.get('/favicon.ico', hide, (_request, reply) => reply.redirect('/favicon.svg', 301));
}
