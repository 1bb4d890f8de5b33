#!/usr/bin/env node
// The offline install bundles (`npm run bundle`, README "On an air-gapped machine"): for each
// platform, one npm package archive that holds everything keytrail needs at run time, so that
// `npm install -g --offline ./keytrail-<v>-<platform>.tgz` needs no registry, and that also runs
// unpacked, with no npm, through the launcher inside it (package/keytrail, package\keytrail.cmd).
//
// Each archive is what npm itself makes of keytrail with its production dependencies bundled
// (`bundleDependencies`): the production tree is installed by `npm ci --omit=dev --os --cpu --libc`
// from the lock file, so every package, the DuckDB native binding of the target platform included,
// is the version and SHA-512 the lock file pins (npm fetches the foreign bindings from the registry
// by those); then `npm sbom` writes its CycloneDX SBOM and `npm pack` the archive. Beside the
// archives: each SBOM, and SHA256SUMS over all of them (`sha256sum -c SHA256SUMS`).
//
// The build needs the npm registry (or an npm cache holding the bindings); the install and every
// run after it need nothing. Run after `npm run build` (`npm run bundle` does both).
//
// Usage: node scripts/bundle.mjs [--platform linux-x64 ...] [--out dist-bundle] [--keep-stage]
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/** The platforms a bundle is made for, as Node names them (`process.platform-process.arch`), with npm's --os/--cpu/--libc. */
export const PLATFORMS = {
  'linux-x64': { os: 'linux', cpu: 'x64', libc: 'glibc', launcher: 'sh' },
  'linux-arm64': { os: 'linux', cpu: 'arm64', libc: 'glibc', launcher: 'sh' },
  'darwin-x64': { os: 'darwin', cpu: 'x64', launcher: 'sh' },
  'darwin-arm64': { os: 'darwin', cpu: 'arm64', launcher: 'sh' },
  'win32-x64': { os: 'win32', cpu: 'x64', launcher: 'cmd' },
};

/** The package that holds DuckDB's native library for a platform. */
export const bindingOf = (platform) => `@duckdb/node-bindings-${platform}`;

const fail = (message) => {
  process.stderr.write(`bundle: ${message}\n`);
  process.exit(1);
};

/** npm, as the `npm run` that started this runs it (npm_execpath), else the one on PATH. */
function npm(args, cwd) {
  const [cmd, pre] = process.env.npm_execpath ? [process.execPath, [process.env.npm_execpath]] : ['npm', []];
  const r = spawnSync(cmd, [...pre, ...args], { cwd, encoding: 'utf8', maxBuffer: 1 << 28, shell: !process.env.npm_execpath && process.platform === 'win32' });
  if (r.status !== 0) fail(`npm ${args.join(' ')} (in ${cwd}) failed:\n${r.stderr || r.stdout || r.error}`);
  return r.stdout;
}

/** The launcher for a machine with Node.js but no npm, at the package's top (package/keytrail after `tar xzf`). */
const LAUNCHERS = {
  sh: {
    file: 'keytrail',
    text: (platform) => `#!/bin/sh
# keytrail, from its offline bundle for ${platform}: runs keytrail with the Node.js (20 or newer) on PATH.
# Call it by its path, or link it into a folder on PATH (ln -s "$PWD/package/keytrail" ~/bin/keytrail).
self=$0
while [ -L "$self" ]; do
  link=$(readlink "$self")
  case $link in
    /*) self=$link ;;
    *) self=\${self%/*}/$link ;;
  esac
done
case $self in
  */*) here=\${self%/*} ;;
  *) here=. ;;
esac
if ! command -v node >/dev/null 2>&1; then
  echo "keytrail: Node.js 20 or newer is needed on PATH" >&2
  exit 2
fi
exec node "$here/dist/cli/main.js" "$@"
`,
  },
  cmd: {
    file: 'keytrail.cmd',
    text: (platform) =>
      [
        '@echo off',
        `rem keytrail, from its offline bundle for ${platform}: runs keytrail with the Node.js (20 or newer) on PATH.`,
        'where node >nul 2>nul || (echo keytrail: Node.js 20 or newer is needed on PATH 1>&2 & exit /b 2)',
        'node "%~dp0dist\\cli\\main.js" %*',
        '',
      ].join('\r\n'),
  },
};

const sha256 = (file) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

function bundle(platform, out, keepStage) {
  const target = PLATFORMS[platform];
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  // The folder is named as the package, so that npm's SBOM names it so.
  const stage = path.join(out, '.stage', platform, manifest.name);
  fs.rmSync(path.dirname(stage), { recursive: true, force: true });
  fs.mkdirSync(stage, { recursive: true });

  // 1. The production tree of the lock file, for the target platform.
  fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(stage, 'package.json'));
  fs.copyFileSync(path.join(ROOT, 'package-lock.json'), path.join(stage, 'package-lock.json'));
  const platformFlags = [`--os=${target.os}`, `--cpu=${target.cpu}`, ...(target.libc ? [`--libc=${target.libc}`] : [])];
  npm(['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error', ...platformFlags], stage);
  const bindings = fs.readdirSync(path.join(stage, 'node_modules', '@duckdb')).filter((d) => d.startsWith('node-bindings-'));
  if (bindings.join() !== bindingOf(platform).slice('@duckdb/'.length))
    fail(`${platform}: npm installed DuckDB bindings [${bindings.join(', ')}], expected ${bindingOf(platform)} alone`);
  const binding = JSON.parse(fs.readFileSync(path.join(stage, 'node_modules', bindingOf(platform), 'package.json'), 'utf8'));

  // 2. keytrail as built, its rules and samples, and the launcher.
  for (const dir of ['dist', 'rules', 'samples']) {
    if (!fs.existsSync(path.join(ROOT, dir))) fail(`${dir}/ is missing: run npm run build first (npm run bundle does)`);
    fs.cpSync(path.join(ROOT, dir), path.join(stage, dir), { recursive: true });
  }
  for (const file of ['README.md', 'LICENSE']) fs.copyFileSync(path.join(ROOT, file), path.join(stage, file));
  const launcher = LAUNCHERS[target.launcher];
  fs.writeFileSync(path.join(stage, launcher.file), launcher.text(platform), { mode: 0o755 });

  // 3. The package as installed from the archive: its dependencies bundled, for this platform only
  // (npm refuses it elsewhere with EBADPLATFORM), with nothing to build or run at install.
  const { scripts: _scripts, devDependencies: _dev, ...kept } = manifest;
  const packaged = {
    ...kept,
    files: [...manifest.files, launcher.file, 'sbom.cdx.json'],
    os: [target.os],
    cpu: [target.cpu],
    ...(target.libc ? { libc: [target.libc] } : {}),
    bundleDependencies: Object.keys(manifest.dependencies),
    keytrailBundle: { platform, duckdbBinding: `${binding.name}@${binding.version}` },
  };
  fs.writeFileSync(path.join(stage, 'package.json'), `${JSON.stringify(packaged, null, 2)}\n`);

  // 4. The SBOM of exactly that tree (the lock file is read, then left out of the archive as npm does).
  const sbom = npm(['sbom', '--sbom-format=cyclonedx', '--omit=dev', '--loglevel=error'], stage);
  const components = JSON.parse(sbom).components ?? [];
  if (!components.some((c) => c.name === binding.name && c.version === binding.version))
    fail(`${platform}: the SBOM does not list ${binding.name}@${binding.version}`);
  const base = `${manifest.name}-${manifest.version}-${platform}`;
  fs.writeFileSync(path.join(stage, 'sbom.cdx.json'), sbom);
  fs.writeFileSync(path.join(out, `${base}.cdx.json`), sbom);
  fs.rmSync(path.join(stage, 'package-lock.json'));

  // 5. The archive.
  const packed = JSON.parse(npm(['pack', '--json', '--loglevel=error', `--pack-destination=${path.resolve(out)}`], stage))[0];
  fs.renameSync(path.join(out, packed.filename), path.join(out, `${base}.tgz`));
  if (!keepStage) fs.rmSync(path.join(out, '.stage', platform), { recursive: true, force: true });
  return { platform, archive: `${base}.tgz`, sbom: `${base}.cdx.json`, files: packed.entryCount, binding: `${binding.name}@${binding.version}` };
}

function main() {
  const { values } = parseArgs({
    options: {
      platform: { type: 'string', multiple: true },
      out: { type: 'string', default: path.join(ROOT, 'dist-bundle') },
      'keep-stage': { type: 'boolean', default: false },
    },
  });
  const platforms = values.platform ?? Object.keys(PLATFORMS);
  for (const p of platforms) if (!PLATFORMS[p]) fail(`unknown platform ${p}: one of ${Object.keys(PLATFORMS).join(', ')}`);
  const out = path.resolve(values.out);
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  const made = [];
  for (const p of platforms) {
    const started = Date.now();
    const m = bundle(p, out, values['keep-stage']);
    made.push(m);
    const mb = (fs.statSync(path.join(out, m.archive)).size / 1e6).toFixed(1);
    process.stderr.write(`bundle: ${m.archive} (${mb} MB, ${m.files} files, ${m.binding}) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  }
  if (!values['keep-stage']) fs.rmSync(path.join(out, '.stage'), { recursive: true, force: true });
  const sums = made
    .flatMap((m) => [m.archive, m.sbom])
    .sort()
    .map((f) => `${sha256(path.join(out, f))}  ${f}\n`)
    .join('');
  fs.writeFileSync(path.join(out, 'SHA256SUMS'), sums);
  process.stdout.write(`${out}:\n${sums}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
