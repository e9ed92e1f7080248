/**
 * What every page script shares: HTML escaping, the job link, the JSON API caller (with the admin
 * token asked once in the token form and kept in session storage for the tab), and `say` for the
 * action result region. The frame (layout.ts) renders the token form and the region.
 */

export const LEVELS = ['LOW', 'NORMAL', 'HIGH'] as const;

export function esc(value: unknown): string {
  return String(value).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

export const level = (priority: number): string => LEVELS[priority] ?? String(priority);

export const when = (iso: string | null | undefined): string =>
  iso ? new Date(iso).toLocaleString() : '-';

export const jobLink = (id: string): string =>
  `<a href="/dashboard/jobs/${encodeURIComponent(id)}">${esc(id)}</a>`;

/** An element the page's HTML is known to have. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`the page has no #${id}`);
  return element as T;
}

const TOKEN_KEY = 'jobdispatch.adminToken';
let tokenWaiters: ((token: string | undefined) => void)[] = [];

function tokenForm(): HTMLFormElement {
  return byId<HTMLFormElement>('token-form');
}

function tokenInput(): HTMLInputElement {
  return tokenForm().elements.namedItem('token') as HTMLInputElement;
}

function answerWaiters(token: string | undefined): void {
  const waiters = tokenWaiters;
  tokenWaiters = [];
  for (const resolve of waiters) resolve(token);
}

/** Wires the token form of the frame; called once by each page script. */
export function setUpTokenForm(): void {
  const form = tokenForm();
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const value = tokenInput().value.trim();
    if (value === '') return;
    sessionStorage.setItem(TOKEN_KEY, value);
    form.hidden = true;
    tokenInput().value = '';
    answerWaiters(value);
  });
  form.querySelector('[data-cancel]')?.addEventListener('click', () => {
    form.hidden = true;
    answerWaiters(undefined);
  });
}

/** The admin token: from session storage, or asked once in the token form. */
function adminToken(): Promise<string | undefined> {
  const kept = sessionStorage.getItem(TOKEN_KEY);
  if (kept) return Promise.resolve(kept);
  tokenForm().hidden = false;
  tokenInput().focus();
  return new Promise((resolve) => tokenWaiters.push(resolve));
}

export interface ApiError {
  readonly error?: { readonly message?: string; readonly suggestions?: readonly string[] };
}

export interface Answer<T> {
  readonly ok: boolean;
  readonly status: number;
  readonly body: T & ApiError;
}

export interface ApiOptions {
  readonly method?: string;
  readonly body?: unknown;
  /** Sends the admin token (asking for it once, and again once if the service refuses it). */
  readonly admin?: boolean;
}

/** Calls the JSON API. */
export async function api<T>(path: string, options: ApiOptions = {}): Promise<Answer<T>> {
  const headers: Record<string, string> = {};
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  for (let attempt = 0; ; attempt++) {
    if (options.admin) {
      const token = await adminToken();
      if (token === undefined) {
        return {
          ok: false,
          status: 0,
          body: { error: { message: 'no admin token given' } } as T & ApiError,
        };
      }
      headers['authorization'] = `Bearer ${token}`;
    }
    const response = await fetch(path, {
      method: options.method ?? 'GET',
      headers,
      ...(options.body !== undefined && { body: JSON.stringify(options.body) }),
    });
    const text = await response.text();
    const body = (text === '' ? {} : JSON.parse(text)) as T & ApiError;
    if (response.status === 401 && options.admin && attempt === 0) {
      sessionStorage.removeItem(TOKEN_KEY);
      continue;
    }
    return { ok: response.ok, status: response.status, body };
  }
}

/** Shows what an action did, in the polite live region of the frame. */
export function say(message: string, kind: 'ok' | 'error' = 'ok'): void {
  const region = byId('action-result');
  region.className = kind;
  region.textContent = message;
}

export const failure = (answer: Answer<unknown>): string =>
  answer.body.error?.message ?? `HTTP ${answer.status}`;

/** Job counts by status, as the overview answers them. */
export interface Counts {
  readonly scheduled: number;
  readonly queued: number;
  readonly running: number;
  readonly completed: number;
  readonly failed: number;
  readonly cancelled: number;
}

export interface Paused {
  readonly queue: boolean;
  readonly types: readonly string[];
}

export interface LevelStats {
  readonly queued: number;
  readonly wait: { readonly count: number; readonly p50: number; readonly p99: number };
}

export interface Overview {
  readonly levels: Readonly<Record<'high' | 'normal' | 'low', LevelStats>>;
  readonly counts: Counts;
  readonly types: Readonly<Record<string, Counts>>;
  readonly paused: Paused;
  readonly at: string;
}

/** A job as `GET /v1/jobs` lists it. */
export interface JobRow {
  readonly id: string;
  readonly name: string;
  readonly status: string;
  readonly priority: number;
  readonly attempts: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}
