#!/usr/bin/env node
/**
 * The keytrail binary: checks that keytrail can run here (Node.js 20 or newer, DuckDB's native
 * library for this platform), then runs the program (program.ts) on this process's arguments and
 * exits with its status.
 */
import fs from 'node:fs';
import { EXIT } from './exit.js';

const NODE_MAJOR = 20;
if (Number(process.versions.node.split('.')[0]) < NODE_MAJOR) {
  process.stderr.write(`keytrail: needs Node.js ${NODE_MAJOR} or newer; this is Node.js ${process.version}\n`);
  process.exit(EXIT.ERROR);
}

/**
 * A keytrail whose DuckDB binding is not for this machine (an offline bundle for another platform,
 * or a node_modules copied from one) fails as it loads the program: say that in one line, not a stack.
 */
function cannotLoad(err: unknown): never {
  const message = err instanceof Error ? err.message : String(err);
  if (!/@duckdb\/node-bindings|duckdb\.node|duckdb native binding/i.test(message)) throw err;
  const here = `${process.platform}-${process.arch}`;
  let bundle: { platform?: string } | undefined;
  try {
    const manifest = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
      keytrailBundle?: { platform?: string };
    };
    bundle = manifest.keytrailBundle;
    if (bundle?.platform)
      process.stderr.write(
        `keytrail: this is keytrail's offline bundle for ${bundle.platform}, and this machine is ${here}: install keytrail-${manifest.version}-${here}.tgz instead\n`,
      );
  } catch {
    // No readable manifest: the general message below says enough.
  }
  if (!bundle?.platform)
    process.stderr.write(
      `keytrail: DuckDB's native library for ${here} is not installed (${message.split('\n')[0]}): reinstall keytrail on this machine (npm install), or use the offline bundle for ${here}\n`,
    );
  process.exit(EXIT.ERROR);
}

const { run } = await import('./program.js').catch(cannotLoad);

// `keytrail events | head`: a reader that stops early is not an error; stop writing quietly.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(EXIT.OK);
  throw err;
});

process.exitCode = await run(process.argv);
