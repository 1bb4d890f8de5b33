#!/usr/bin/env node
// Builds native/records-scan (records-scan.ts's scanRecords in Rust, SIMD128) into WebAssembly and
// writes it, base64, into src/ingest/records-scan-wasm-bytes.ts, which is committed: neither
// `npm install` nor the tests need Rust. Run after changing native/records-scan/src/lib.rs or the
// record's fields (store/schema.ts RECORD: the key table itself is handed over at run time):
//
//   rustup target add wasm32-unknown-unknown     # once
//   node scripts/records-scan-wasm.mjs
//
// test/ingest/records-scan-wasm.test.ts then compares it with the TypeScript scan.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const CRATE = path.join(ROOT, 'native', 'records-scan');
const TARGET = 'wasm32-unknown-unknown';

const built = spawnSync('cargo', ['build', '--release', '--locked', '--target', TARGET], {
  cwd: CRATE,
  stdio: 'inherit',
  env: { ...process.env, RUSTFLAGS: '-C target-feature=+simd128' },
});
if (built.error || built.status !== 0) {
  console.error(`records-scan-wasm: cargo build failed${built.error ? ` (${built.error.message})` : ''}`);
  process.exit(1);
}
const wasm = fs.readFileSync(path.join(CRATE, 'target', TARGET, 'release', 'keytrail_records_scan.wasm'));
const sha = createHash('sha256').update(wasm).digest('hex');
const source = createHash('sha256')
  .update(fs.readFileSync(path.join(CRATE, 'src', 'lib.rs')))
  .digest('hex');
const out = path.join(ROOT, 'src', 'ingest', 'records-scan-wasm-bytes.ts');
fs.writeFileSync(
  out,
  `// Written by scripts/records-scan-wasm.mjs from native/records-scan: do not edit.
// ${wasm.length} bytes, SHA-256 ${sha}, from native/records-scan/src/lib.rs SHA-256 ${source}
export const RECORDS_SCAN_WASM =
  '${wasm.toString('base64')}';
`,
);
console.log(`records-scan-wasm: ${path.relative(ROOT, out)}: ${wasm.length} bytes, SHA-256 ${sha}`);
