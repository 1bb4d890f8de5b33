// The CLI tests run the real binary (dist/cli/main.js): build it once so they test this source,
// the pages' scripts first (src/browser, which the renderers in dist and in src both inline).
import { execFileSync } from 'node:child_process';

export default function setup(): void {
  execFileSync('node', ['scripts/page-scripts.mjs'], { stdio: 'inherit' });
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  execFileSync('node', ['scripts/postbuild.mjs'], { stdio: 'inherit' });
}
