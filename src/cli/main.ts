#!/usr/bin/env node
/** The keytrail binary: runs the program (program.ts) on this process's arguments and exits with its status. */
import { EXIT } from './exit.js';
import { run } from './program.js';

// `keytrail events | head`: a reader that stops early is not an error; stop writing quietly.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(EXIT.OK);
  throw err;
});

run(process.argv).then((status) => {
  process.exitCode = status;
});
