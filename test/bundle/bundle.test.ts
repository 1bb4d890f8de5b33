/**
 * Issue 16: the offline install bundles (`npm run bundle`, README "On an air-gapped machine").
 * Builds every platform's archive once (scripts/bundle.mjs, about a minute: `npm run test:bundle`,
 * which .ci/run runs after `npm test`), then:
 * - each archive holds DuckDB's native library for its platform and architecture (read from the
 *   file headers) and none for another; its SBOM lists that binding at the lock file's version and
 *   digest; SHA256SUMS verifies;
 * - the README section is followed as written, inside a network namespace with no interfaces
 *   (`unshare -n`), an empty HOME and an empty npm cache: install the linux-x64 archive with npm,
 *   run keytrail on its sample, the same with Node alone through the launcher, then update the rule
 *   pack; the case folders are complete.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as tar from 'tar';
import { beforeAll, describe, expect, it } from 'vitest';
import lock from '../../package-lock.json' with { type: 'json' };
import pkg from '../../package.json' with { type: 'json' };
import { folderDigest, provenanceLine } from '../../src/provenance.js';
import { CLI, ROOT, sha256, tmpDir } from '../helpers.js';
import { nativeTargets, type Target } from './native.js';

const PLATFORMS: Target[] = ['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64', 'win32-x64'];
const SEED = 'AKIABTX3GSDSS5LN7GPS';
/** What investigate writes into a case folder. */
const CASE_FILES = ['findings.csv', 'keytrail.duckdb', 'lineage.html', 'remediation.sh', 'report.html', 'report.json', 'report.md', 'timeline.csv'];
/** Files that may be native code, by name: every one is read by its header. */
const NATIVE = /\.(node|so(\.\d+)*|dylib|dll|exe)$/;
const FORMATS: Record<string, string[]> = { linux: ['ELF'], darwin: ['Mach-O', 'Mach-O universal'], win32: ['PE'] };

const archive = (p: string) => `keytrail-${pkg.version}-${p}.tgz`;
const sbomFile = (p: string) => `keytrail-${pkg.version}-${p}.cdx.json`;
const lockEntry = (name: string) => (lock.packages as Record<string, { version: string; integrity?: string }>)[`node_modules/${name}`]!;

/** A ```sh block of README's air-gapped section, by the comment on its first line. */
function readmeBlock(label: string): string {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## On an air-gapped machine'), readme.indexOf('\n## ', readme.indexOf('## On an air-gapped machine') + 1));
  const block = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.startsWith(`# ${label}\n`));
  if (!block) throw new Error(`README.md's "On an air-gapped machine" has no sh block starting '# ${label}'`);
  return block;
}

/** unshare by its path: the scripts run with a PATH of their own. */
const UNSHARE = spawnSync('/bin/sh', ['-c', 'command -v unshare'], { encoding: 'utf8' }).stdout.trim() || 'unshare';

/** A shell script run with no network at all, with only the environment given (no HOME, cache or PATH of this machine). */
function offline(script: string, cwd: string, env: Record<string, string>) {
  // stdin is not a socket, or bash reads /etc/bash.bashrc as for a remote shell.
  return spawnSync(UNSHARE, ['-n', '/bin/bash', '-euo', 'pipefail', '-c', script], {
    cwd,
    env,
    encoding: 'utf8',
    maxBuffer: 1 << 26,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** A folder holding only links to the given commands: a PATH with nothing else on it. */
function onlyCommands(dir: string, commands: string[]): string {
  fs.mkdirSync(dir, { recursive: true });
  for (const c of commands) {
    const found = spawnSync('/bin/sh', ['-c', `command -v ${c}`], { encoding: 'utf8' }).stdout.trim();
    if (!found) throw new Error(`${c} is not on this machine's PATH`);
    fs.symlinkSync(found, path.join(dir, c));
  }
  return dir;
}

function expectCompleteCase(dir: string) {
  for (const f of CASE_FILES) expect(fs.statSync(path.join(dir, f)).size, `${dir}/${f}`).toBeGreaterThan(0);
  const report = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8'));
  expect(report.seeds).toEqual([SEED]);
  // The sample's chain: the user and the role the attacker made, found from the leaked key.
  expect(report.iamChanges.map((c: { eventName: string }) => c.eventName)).toEqual(expect.arrayContaining(['CreateUser', 'CreateRole', 'CreateAccessKey']));
  expect(report.findings.length).toBeGreaterThan(10);
  expect(fs.readFileSync(path.join(dir, 'report.md'), 'utf8')).toContain(`Made with ${provenanceLine(report.provenance)}`);
  return report;
}

let out: string;

beforeAll(() => {
  out = path.join(tmpDir('kt-bundle-'), 'dist-bundle');
  const r = spawnSync(process.execPath, ['scripts/bundle.mjs', '--out', out], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 26 });
  expect(r.status, r.stderr).toBe(0);
}, 900_000);

describe('npm run bundle', () => {
  it('writes one archive and one SBOM per platform, and SHA256SUMS that verifies them', () => {
    expect(fs.readdirSync(out).sort()).toEqual(['SHA256SUMS', ...PLATFORMS.flatMap((p) => [archive(p), sbomFile(p)])].sort());
    const sums = fs.readFileSync(path.join(out, 'SHA256SUMS'), 'utf8');
    for (const f of fs.readdirSync(out).filter((f) => f !== 'SHA256SUMS')) expect(sums).toContain(`${sha256(path.join(out, f))}  ${f}\n`);
    const check = spawnSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: out, encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).toBe(0);
    expect(check.stdout.trim().split('\n')).toHaveLength(2 * PLATFORMS.length);
    // A changed byte is caught.
    const copy = tmpDir();
    for (const f of ['SHA256SUMS', sbomFile('win32-x64')]) fs.copyFileSync(path.join(out, f), path.join(copy, f));
    fs.appendFileSync(path.join(copy, sbomFile('win32-x64')), ' ');
    const bad = spawnSync('sha256sum', ['-c', '--ignore-missing', 'SHA256SUMS'], { cwd: copy, encoding: 'utf8' });
    expect(bad.status).not.toBe(0);
    expect(bad.stdout).toContain(`${sbomFile('win32-x64')}: FAILED`);
  });

  it.each(PLATFORMS)('%s: its archive holds DuckDB for that platform alone, as its package.json and SBOM say', async (platform) => {
    const file = path.join(out, archive(platform));
    const entries: string[] = [];
    await tar.t({ file, onReadEntry: (e) => entries.push(e.path) });
    const binding = `@duckdb/node-bindings-${platform}`;
    const bindingDirs = [...new Set(entries.map((e) => /^package\/node_modules\/@duckdb\/(node-bindings-[^/]+)\//.exec(e)?.[1]).filter(Boolean))];
    expect(bindingDirs).toEqual([binding.slice('@duckdb/'.length)]);
    expect(entries).toContain(`package/node_modules/${binding}/duckdb.node`);

    // Every file that may be native code, read by its header: built for this platform and architecture.
    const dir = tmpDir();
    const wanted = new Set(['package/package.json', 'package/sbom.cdx.json', 'package/keytrail', 'package/keytrail.cmd', 'package/dist/cli/main.js']);
    await tar.x({ file, cwd: dir, filter: (p) => NATIVE.test(p) || wanted.has(p) });
    const natives = entries.filter((e) => NATIVE.test(e));
    expect(natives.length).toBeGreaterThanOrEqual(2);
    for (const n of natives) {
      const head = Buffer.alloc(4096);
      const fd = fs.openSync(path.join(dir, n), 'r');
      fs.readSync(fd, head, 0, head.length, 0);
      fs.closeSync(fd);
      const seen = nativeTargets(head);
      expect(seen, `${n} is not a native library`).toBeDefined();
      expect(FORMATS[platform.split('-')[0]!], n).toContain(seen!.format);
      // The binding itself is for this target only; DuckDB ships libduckdb.dylib for macOS as one
      // universal file (x86_64 and arm64) in both macOS packages, which loads on this target too.
      if (seen!.format === 'Mach-O universal') {
        expect(seen!.targets, n).toContain(platform);
        expect(n.endsWith('/libduckdb.dylib'), `${n}: only DuckDB's library is universal`).toBe(true);
      } else expect(seen!.targets, n).toEqual([platform]);
    }

    // npm refuses the archive on another platform; keytrail names the DuckDB binding it holds.
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package/package.json'), 'utf8'));
    const [os, cpu] = platform.split('-');
    expect([manifest.os, manifest.cpu, manifest.keytrailBundle]).toEqual([
      [os],
      [cpu],
      { platform, duckdbBinding: `${binding}@${lockEntry(binding).version}` },
    ]);
    expect(manifest.bundleDependencies).toEqual(Object.keys(pkg.dependencies));
    expect(manifest.scripts).toBeUndefined();

    // The launcher for a machine with Node but no npm.
    const launcher = platform.startsWith('win32') ? 'package/keytrail.cmd' : 'package/keytrail';
    expect(entries.filter((e) => /^package\/keytrail(\.cmd)?$/.test(e))).toEqual([launcher]);
    expect(fs.readFileSync(path.join(dir, launcher), 'utf8')).toContain(
      platform.startsWith('win32') ? 'node "%~dp0dist\\cli\\main.js" %*' : 'exec node "$here/dist/cli/main.js" "$@"',
    );

    // The SBOM beside the archive is the one inside it, and lists the binding as the lock file pins it.
    const sbom = JSON.parse(fs.readFileSync(path.join(out, sbomFile(platform)), 'utf8'));
    expect(fs.readFileSync(path.join(dir, 'package/sbom.cdx.json'), 'utf8')).toBe(fs.readFileSync(path.join(out, sbomFile(platform)), 'utf8'));
    expect([sbom.bomFormat, sbom.metadata.component.name, sbom.metadata.component.version]).toEqual(['CycloneDX', 'keytrail', pkg.version]);
    const components = sbom.components as { name: string; version: string; hashes?: { alg: string; content: string }[] }[];
    expect(components.filter((c) => c.name.startsWith('@duckdb/node-bindings-')).map((c) => c.name)).toEqual([binding]);
    const listed = components.find((c) => c.name === binding)!;
    const pinned = lockEntry(binding);
    expect(listed.version).toBe(pinned.version);
    expect(listed.hashes).toEqual([{ alg: 'SHA-512', content: Buffer.from(pinned.integrity!.replace(/^sha512-/, ''), 'base64').toString('hex') }]);
    // Every package in the archive is in the SBOM.
    const packaged = new Set(
      entries
        .map((e) => /^package\/node_modules\/((?:@[^/]+\/)?[^/]+)\/package\.json$/.exec(e)?.[1])
        .filter((n): n is string => !!n && !n.includes('/node_modules/')),
    );
    for (const name of packaged) expect(components.map((c) => c.name)).toContain(name);
    expect(packaged.size).toBeGreaterThan(10);
  });
});

describe('README "On an air-gapped machine", followed as written with no network', () => {
  const platform = 'linux-x64';
  let laptop: string;
  let env: Record<string, string>;

  beforeAll(() => {
    // What was copied to the laptop: the archive for it, its SBOM and SHA256SUMS. Everything else empty.
    const root = tmpDir('kt-airgap-');
    laptop = path.join(root, 'usb');
    fs.mkdirSync(laptop);
    for (const f of [archive(platform), sbomFile(platform), 'SHA256SUMS']) fs.copyFileSync(path.join(out, f), path.join(laptop, f));
    for (const d of ['home', 'npm-cache', 'prefix']) fs.mkdirSync(path.join(root, d));
    env = {
      PATH: [path.join(root, 'prefix/bin'), path.dirname(process.execPath), '/usr/bin', '/bin'].join(':'),
      HOME: path.join(root, 'home'),
      npm_config_cache: path.join(root, 'npm-cache'),
      // npm install -g writes here, not into this machine's global folder.
      npm_config_prefix: path.join(root, 'prefix'),
    };
    expect(readmeBlock('on the air-gapped machine, in the folder the files were copied to')).toContain(archive(platform));
  });

  it('checks the files, installs with npm --offline, and runs investigate on the sample: a complete case folder', () => {
    const r = offline(readmeBlock('on the air-gapped machine, in the folder the files were copied to'), laptop, env);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`${archive(platform)}: OK`);
    expect(r.stdout).toContain(`${sbomFile(platform)}: OK`);
    // The installed keytrail is this one: the same version, DuckDB and rule pack digest as the build it came from.
    const here = spawnSync(process.execPath, [CLI, '--version'], { encoding: 'utf8' }).stdout.trim();
    expect(r.stdout).toContain(here);
    expect(fs.realpathSync(path.join(env.npm_config_prefix!, 'bin', 'keytrail'))).toBe(
      path.join(env.npm_config_prefix!, 'lib', 'node_modules', 'keytrail', 'dist', 'cli', 'main.js'),
    );
    const report = expectCompleteCase(path.join(laptop, 'selftest-case'));
    expect(report.rulesRun).toEqual([{ path: 'built-in', ...report.provenance.rules }]);
  });

  it('runs unpacked with Node alone, through the launcher', () => {
    const plain = path.join(laptop, '..', 'plain');
    fs.mkdirSync(plain);
    fs.copyFileSync(path.join(laptop, archive(platform)), path.join(plain, archive(platform)));
    // sh, node, tar (and the gzip it runs), readlink for a linked launcher: no npm.
    const bin = onlyCommands(path.join(plain, '..', 'bin-no-npm'), ['node', 'tar', 'gzip', 'readlink']);
    const noNpm = { ...env, PATH: bin };
    expect(offline('command -v npm', plain, noNpm).status).not.toBe(0);
    const r = offline(readmeBlock('with Node.js but no npm'), plain, noNpm);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expectCompleteCase(path.join(plain, 'selftest-plain'));
    // Linked into a folder on PATH, it still finds itself.
    fs.symlinkSync(path.join(plain, 'package', 'keytrail'), path.join(bin, 'keytrail'));
    const linked = offline('cd / && keytrail --version', plain, noNpm);
    expect(linked.status, linked.stderr).toBe(0);
    expect(linked.stdout).toMatch(/^keytrail \d+\.\d+\.\d+, DuckDB v/);
  });

  it('updates the rule pack from a copied folder, and the report names it with its digest', () => {
    const installed = path.join(env.npm_config_prefix!, 'lib', 'node_modules', 'keytrail');
    expect(fs.existsSync(installed), 'the npm install test runs first').toBe(true);
    // A newer pack (one rule changed), and the evidence, copied beside each other.
    fs.cpSync(path.join(installed, 'rules'), path.join(laptop, 'keytrail-rules'), { recursive: true });
    fs.appendFileSync(path.join(laptop, 'keytrail-rules', 'recon', 'attempts-refused.yml'), '# updated\n');
    fs.cpSync(path.join(installed, 'samples', 'leaked-key', 'evidence'), path.join(laptop, 'evidence'), { recursive: true });
    const r = offline(readmeBlock('updating the rule pack: keytrail-rules/ copied beside the evidence'), laptop, env);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const report = expectCompleteCase(path.join(laptop, 'case-with-update'));
    const digest = folderDigest(path.join(laptop, 'keytrail-rules'));
    expect(digest.sha256).not.toBe(report.provenance.rules.sha256);
    expect(report.rulesRun).toEqual([{ path: './keytrail-rules/', ...digest }]);
    expect(fs.readFileSync(path.join(laptop, 'case-with-update', 'report.md'), 'utf8')).toContain(`rules run: ./keytrail-rules/ sha256:${digest.sha256}`);
  });

  it('an archive for another platform: npm refuses it, and unpacked by hand keytrail names the one to install', () => {
    const other = path.join(laptop, '..', 'other');
    fs.mkdirSync(other);
    fs.copyFileSync(path.join(out, archive('darwin-arm64')), path.join(other, archive('darwin-arm64')));
    const npm = offline(`npm install -g --offline ./${archive('darwin-arm64')}`, other, { ...env, npm_config_prefix: path.join(other, 'prefix') });
    expect(npm.status).not.toBe(0);
    expect(npm.stderr).toContain('EBADPLATFORM');
    const r = offline(`tar xzf ${archive('darwin-arm64')} && ./package/keytrail --version`, other, env);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(
      `keytrail: this is keytrail's offline bundle for darwin-arm64, and this machine is ${process.platform}-${process.arch}: install ${archive(`${process.platform}-${process.arch}`)} instead`,
    );
  });
});
