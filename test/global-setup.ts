// The CLI tests run the real binary (dist/cli/main.js): build it once so they test this source.
import { execFileSync } from 'node:child_process';

export default function setup(): void {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  execFileSync('node', ['scripts/postbuild.mjs'], { stdio: 'inherit' });
}
