/**
 * One HTTP call to a live place provider, with a deadline: the JSON body of a 2xx answer, or a
 * provider error naming the provider. A timeout, a refused connection or a 429/503/504 answer is
 * `PLACES_PROVIDER_UNAVAILABLE` (try again later); any other non-2xx answer, or a body that is
 * not JSON, is `PLACES_PROVIDER_FAILED`.
 */
import { providerError } from '../../errors.js';

export interface JsonRequest {
  readonly provider: string;
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

/** How much of an error body a message quotes. */
const QUOTED_BODY = 200;

export async function fetchJson(request: JsonRequest): Promise<unknown> {
  const { provider } = request;
  const timeout = AbortSignal.timeout(request.timeoutMs);
  const signal =
    request.signal === undefined ? timeout : AbortSignal.any([timeout, request.signal]);
  let response: Response;
  let text: string;
  try {
    response = await fetch(request.url, {
      method: request.method,
      headers: request.headers ?? {},
      ...(request.body === undefined ? {} : { body: request.body }),
      signal,
    });
    text = await response.text();
  } catch (error) {
    if (request.signal?.aborted === true) throw request.signal.reason;
    if (timeout.aborted) {
      throw providerError(
        'PLACES_PROVIDER_UNAVAILABLE',
        provider,
        `no answer from ${hostOf(request.url)} within ${request.timeoutMs} ms`,
        error,
      );
    }
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw providerError(
      'PLACES_PROVIDER_UNAVAILABLE',
      provider,
      `cannot reach ${hostOf(request.url)} (${cause?.code ?? cause?.message ?? String(error)})`,
      error,
    );
  }
  if (!response.ok) {
    const busy = response.status === 429 || response.status === 503 || response.status === 504;
    throw providerError(
      busy ? 'PLACES_PROVIDER_UNAVAILABLE' : 'PLACES_PROVIDER_FAILED',
      provider,
      `HTTP ${response.status} from ${hostOf(request.url)}: ${quote(text)}`,
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw providerError(
      'PLACES_PROVIDER_FAILED',
      provider,
      `the answer from ${hostOf(request.url)} is not JSON: ${quote(text)}`,
      error,
    );
  }
}

/** Host and port only: never a query string, which may hold a key. */
function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'the provider';
  }
}

function quote(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return JSON.stringify(flat.length > QUOTED_BODY ? `${flat.slice(0, QUOTED_BODY - 3)}...` : flat);
}
