/**
 * The pages a person uses: the search page (`/`) and the jobs dashboard (`/dashboard`, its job
 * lists and job views), the favicon, and the page scripts at /assets/ (client/*.ts, bundled into
 * dist/client by `npm run build`; see layout.ts). Every figure comes from the JSON API.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Dispatcher } from 'jobdispatch';
import { HttpError } from '../http-errors.js';
import { jobPage, listPage, overviewPage, unknownJobPage } from './dashboard-pages.js';
import { FAVICON_SVG, PAGE_SCRIPTS } from './layout.js';
import { searchPage } from './search-page.js';

/** Where build:client writes the page scripts: apps/planner/dist/client, from src/web or dist/web. */
export const ASSETS_DIR = join(import.meta.dirname, '..', '..', 'dist', 'client');
const ASSET_FILES: ReadonlySet<string> = new Set(
  PAGE_SCRIPTS.flatMap((name) => [`${name}.js`, `${name}.js.map`]),
);

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
  if (!existsSync(join(ASSETS_DIR, 'overview.js'))) {
    app.log.warn(
      { dir: ASSETS_DIR },
      'the page scripts are not built: the pages will not work until `npm run build` has run',
    );
  }
  app.get<{ Params: { file: string } }>('/assets/:file', hide, async (request, reply) => {
    const { file } = request.params;
    if (!ASSET_FILES.has(file)) throw new HttpError('NOT_FOUND', `no asset "${file}"`);
    let body: Buffer;
    try {
      body = await readFile(join(ASSETS_DIR, file));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      throw new HttpError(
        'NOT_FOUND',
        `asset "${file}" is not built: run \`npm run build\` (it writes ${ASSETS_DIR})`,
      );
    }
    return reply
      .type(file.endsWith('.map') ? 'application/json' : 'text/javascript; charset=utf-8')
      .header('cache-control', 'no-cache')
      .send(body);
  });
  app.get('/favicon.svg', hide, (_request, reply) =>
    reply.type('image/svg+xml').header('cache-control', 'public, max-age=86400').send(FAVICON_SVG),
  );
  // Browsers that ignore the icon link ask for /favicon.ico.
  app.get('/favicon.ico', hide, (_request, reply) => reply.redirect('/favicon.svg', 301));
}
