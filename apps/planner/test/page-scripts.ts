/** Builds the page scripts (client/*.ts to dist/client) as `npm run build` does, for page tests. */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const plannerDir = join(import.meta.dirname, '..');

export function buildPageScripts(): void {
  execFileSync('npm', ['run', 'build:client'], { cwd: plannerDir, stdio: 'pipe' });
}
