/**
 * Driving Debian's chromium with playwright-core for the page tests: one browser per suite,
 * pages that record every console error and uncaught exception, screenshots under
 * apps/planner/test-artifacts/browser (gitignored).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, type Page, chromium } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts', 'browser');
/** Generous: the machine is shared and loaded. */
export const STEP_TIMEOUT_MS = 45_000;

/** Why the browser tests cannot run here, or undefined when they can (the caller fails, never skips). */
export function missingBrowser(): string | undefined {
  return existsSync(CHROMIUM_PATH)
    ? undefined
    : `no chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH)`;
}

export function launch(): Promise<Browser> {
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
    timeout: 60_000,
  });
}

export interface WatchedPage {
  readonly page: Page;
  /** Console errors and uncaught exceptions, in order. */
  readonly errors: string[];
  /** The text of every confirm() the page asked (all accepted). */
  readonly confirms: string[];
  shot(name: string): Promise<void>;
}

export async function watchedPage(context: BrowserContext): Promise<WatchedPage> {
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  const errors: string[] = [];
  const confirms: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  page.on('dialog', (dialog) => {
    confirms.push(dialog.message());
    void dialog.accept();
  });
  return {
    page,
    errors,
    confirms,
    shot: async (name) => {
      await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
    },
  };
}
