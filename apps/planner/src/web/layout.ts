/**
 * The frame every page shares: head (viewport, favicon), a header with the site navigation, one
 * `main` landmark, the style sheet, the admin token form and the action result region (used by
 * client/common.ts), and the page's script.
 *
 * The pages are HTML shells rendered here; their behaviour is a TypeScript module per page
 * (client/*.ts, type-checked against the DOM library), bundled by esbuild into dist/client by
 * `npm run build` and served at /assets/ (see pages.ts). Every figure comes from the JSON API.
 */

export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#1d3557"/><path d="M8 22h16M8 16h11M8 10h6" stroke="#fff" stroke-width="3.2" stroke-linecap="round"/></svg>`;

const STYLE = String.raw`
  *, *::before, *::after { box-sizing: border-box; }
  body { font: 15px/1.45 system-ui, sans-serif; margin: 0; color: #1d2433; background: #f6f7f9; }
  header { background: #1d3557; color: #fff; padding: 12px 16px; display: flex; flex-wrap: wrap; gap: 4px 16px; align-items: baseline; }
  header nav { display: flex; flex-wrap: wrap; gap: 4px 16px; }
  header a { color: #cfe0ff; }
  main { max-width: 1060px; margin: 0 auto; padding: 16px; }
  h1 { font-size: 1.5rem; margin: 0.4em 0; overflow-wrap: anywhere; }
  h2 { font-size: 1.15rem; margin: 1.2em 0 0.4em; }
  form.panel, section.panel, .plan { background: #fff; padding: 12px 14px; border-radius: 8px; box-shadow: 0 1px 3px #0002; }
  form.panel { display: flex; flex-wrap: wrap; gap: 10px; align-items: end; }
  label { display: flex; flex-direction: column; font-size: 13px; color: #445; max-width: 100%; }
  label.inline { flex-direction: row; gap: 6px; align-items: center; }
  input, select, button { font: inherit; padding: 6px 8px; max-width: 100%; }
  button { background: #1d3557; color: #fff; border: 0; border-radius: 6px; cursor: pointer; }
  button.secondary { background: #e6ebf3; color: #1d3557; }
  button.danger { background: #b42318; }
  button:disabled { opacity: 0.55; cursor: progress; }
  button.link { background: none; color: #1d4fa8; padding: 0 2px; text-decoration: underline; }
  a { color: #1d4fa8; }
  .note { background: #fff4d6; border: 1px solid #f0d48a; padding: 8px 12px; border-radius: 6px; }
  .error { background: #ffe3e3; border: 1px solid #f5a3a3; padding: 8px 12px; border-radius: 6px; }
  .ok { background: #e3f7e8; border: 1px solid #9fd8ad; padding: 8px 12px; border-radius: 6px; }
  .plan { margin: 12px 0; }
  .plan ol { margin: 6px 0 0 0; padding-left: 20px; }
  .muted { color: #556; font-size: 13px; }
  .scroll { overflow-x: auto; max-width: 100%; }
  table { border-collapse: collapse; background: #fff; width: 100%; }
  th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #e3e6ea; white-space: nowrap; }
  div.actions { display: flex; gap: 6px; flex-wrap: wrap; }
  dl.fields { display: grid; grid-template-columns: max-content 1fr; gap: 4px 14px; background: #fff; padding: 12px 14px; border-radius: 8px; margin: 0; }
  dl.fields dt { color: #556; }
  dl.fields dd { margin: 0; overflow-wrap: anywhere; }
  .badge { display: inline-block; padding: 1px 8px; border-radius: 10px; background: #e6ebf3; font-size: 13px; }
  .badge.completed { background: #d5f2dc; } .badge.failed { background: #fbd5d5; } .badge.running { background: #d7e6ff; }
  .badge.cancelled { background: #eee; } .badge.scheduled, .badge.queued { background: #fff0c2; }
  .actions-bar { display: flex; flex-wrap: wrap; gap: 8px; align-items: end; margin: 10px 0; }
  progress { width: 100%; max-width: 420px; height: 14px; }
  pre { background: #10151f; color: #d6e2ff; padding: 10px; border-radius: 6px; overflow: auto; max-height: 360px; white-space: pre-wrap; overflow-wrap: anywhere; margin: 0; }
  pre:empty { display: none; }
  ol.timeline { background: #fff; border-radius: 8px; padding: 10px 10px 10px 34px; margin: 0; }
  ol.timeline li { overflow-wrap: anywhere; }
  #token-form[hidden] { display: none; }
  /* Narrow screens: each row of a .cards table is a card, each cell a "label value" line. */
  @media (max-width: 640px) {
    table.cards thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
    table.cards, table.cards tbody, table.cards tr { display: block; width: 100%; }
    table.cards tr { border-bottom: 2px solid #d5dae1; padding: 4px 0; }
    table.cards th, table.cards td { display: flex; justify-content: space-between; gap: 12px; border-bottom: 0; padding: 3px 10px; white-space: normal; overflow-wrap: anywhere; }
    table.cards td[data-label]::before { content: attr(data-label); color: #556; flex: none; }
    table.cards td div.actions { justify-content: flex-end; }
  }
  .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;

/** The page scripts `npm run build` bundles (the entry points of build:client). */
export const PAGE_SCRIPTS = ['search', 'overview', 'jobs', 'job'] as const;
export type PageScript = (typeof PAGE_SCRIPTS)[number];

export interface PageOptions {
  readonly title: string;
  readonly body: string;
  /** The page's script: the name of its module in client/ (built to /assets/NAME.js); none for a static page. */
  readonly script?: PageScript;
  /** Which navigation entry is the current page. */
  readonly current: 'search' | 'dashboard' | 'jobs';
}

export function page(options: PageOptions): string {
  const nav = (href: string, label: string, key: PageOptions['current']): string =>
    `<a href="${href}"${options.current === key ? ' aria-current="page"' : ''}>${label}</a>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(options.title)} · Vacation planner</title>
<link rel="icon" type="image/svg+xml" href="/favicon.svg"><style>${STYLE}</style></head>
<body><header><strong>Vacation planner</strong><nav aria-label="Site">${nav('/', 'Plan a day', 'search')}${nav('/dashboard', 'Jobs dashboard', 'dashboard')}${nav('/dashboard/jobs', 'Job lists', 'jobs')}<a href="/docs">API</a></nav></header>
<main>
<form id="token-form" class="panel" hidden aria-label="Admin token">
  <label>Admin token (kept for this browser tab only) <input name="token" type="password" autocomplete="off" required></label>
  <button>Use token</button><button type="button" class="secondary" data-cancel>Cancel</button>
</form>
<p id="action-result" role="status" aria-live="polite"></p>
${options.body}
</main>${options.script === undefined ? '' : `<script type="module" src="/assets/${options.script}.js"></script>`}</body></html>`;
}

export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}
