// Makes the CLI entry executable after tsc (npm links bin files, but a direct ./dist path needs +x).
import fs from 'node:fs';
const entry = new URL('../dist/cli/main.js', import.meta.url);
if (fs.existsSync(entry)) fs.chmodSync(entry, 0o755);
