#!/usr/bin/env node
// A real Trino for the Athena tests (issue 18; `npm run test:trino`): trino-server from Maven Central
// (through Maven's cache, ~/.m2), unpacked under .trino/ with the memory connector as its only
// plugin, started as a single node that listens on 127.0.0.1 only, with a 1 GB heap; stopped after.
//
// Version: Athena's engine 3 is Trino; the issue named 435 (the last on Java 17), which Maven Central
// as these machines reach it does not serve (404). 476 is served, and runs on the Temurin 25 JDK
// beside Java 17 (set TRINO_JAVA_HOME to use another JDK 24 or newer).
//
// Usage: node scripts/trino.mjs start|stop|status   (start prints the server's URL)
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const TRINO_VERSION = '476';
const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const HOME = path.join(ROOT, '.trino');
const SERVER = path.join(HOME, `trino-server-${TRINO_VERSION}`);
const STATE = path.join(HOME, 'server.json');

function javaHome() {
  // TRINO_JAVA_HOME, JAVA_HOME, then every JDK under /usr/lib/jvm (Temurin 25 beside Debian's OpenJDK 17 on these machines).
  const jvms = fs.existsSync('/usr/lib/jvm')
    ? fs
        .readdirSync('/usr/lib/jvm')
        .sort()
        .reverse()
        .map((d) => path.join('/usr/lib/jvm', d))
    : [];
  const candidates = [process.env.TRINO_JAVA_HOME, process.env.JAVA_HOME, ...jvms].filter(Boolean);
  for (const home of candidates) {
    const r = spawnSync(path.join(home, 'bin', 'java'), ['-version'], { encoding: 'utf8' });
    const major = Number(/version "(\d+)/.exec(r.stderr ?? '')?.[1] ?? 0);
    if (major >= 24) return home;
  }
  throw new Error(`Trino ${TRINO_VERSION} needs Java 24 or newer: none found (set TRINO_JAVA_HOME)`);
}

/** The server's tarball through Maven's cache: downloaded once from Maven Central. */
function tarball() {
  const file = path.join(os.homedir(), '.m2', 'repository', 'io', 'trino', 'trino-server', TRINO_VERSION, `trino-server-${TRINO_VERSION}.tar.gz`);
  if (!fs.existsSync(file))
    execFileSync('mvn', ['-q', 'dependency:get', `-Dartifact=io.trino:trino-server:${TRINO_VERSION}:tar.gz`, '-Dtransitive=false'], { stdio: 'inherit' });
  return file;
}

/**
 * Trino's command-line client (the same release, from Maven Central through ~/.m2): the tests use it
 * for what only a client writes, a result as CSV with structs in Trino's `{key=value}` text.
 * Returns the command that runs it: [java, '-jar', jar].
 */
export function cliCommand() {
  const jar = path.join(os.homedir(), '.m2', 'repository', 'io', 'trino', 'trino-cli', TRINO_VERSION, `trino-cli-${TRINO_VERSION}-executable.jar`);
  if (!fs.existsSync(jar))
    execFileSync('mvn', ['-q', 'dependency:get', `-Dartifact=io.trino:trino-cli:${TRINO_VERSION}:jar:executable`, '-Dtransitive=false'], { stdio: 'inherit' });
  return [path.join(javaHome(), 'bin', 'java'), '-jar', jar];
}

function unpack() {
  if (fs.existsSync(path.join(SERVER, 'bin', 'launcher'))) return;
  fs.rmSync(SERVER, { recursive: true, force: true });
  fs.mkdirSync(HOME, { recursive: true });
  execFileSync('tar', ['xzf', tarball(), '-C', HOME]);
  // Only the memory connector: every other plugin would be loaded at start for nothing.
  for (const p of fs.readdirSync(path.join(SERVER, 'plugin'))) if (p !== 'memory') fs.rmSync(path.join(SERVER, 'plugin', p), { recursive: true });
}

const freePort = () =>
  new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });

function configure(port) {
  const etc = path.join(HOME, 'etc');
  fs.rmSync(etc, { recursive: true, force: true });
  fs.mkdirSync(path.join(etc, 'catalog'), { recursive: true });
  const write = (f, lines) => fs.writeFileSync(path.join(etc, f), `${lines.join('\n')}\n`);
  write('node.properties', [
    'node.environment=keytrail_test',
    'node.id=keytrail-test',
    `node.data-dir=${path.join(HOME, 'data')}`,
    'node.internal-address=127.0.0.1',
    'node.bind-ip=127.0.0.1',
  ]);
  write('jvm.config', ['-server', '-Xmx1G', '-XX:+UseG1GC', '-XX:+ExitOnOutOfMemoryError', '-Djdk.attach.allowAttachSelf=true']);
  write('config.properties', [
    'coordinator=true',
    'node-scheduler.include-coordinator=true',
    `http-server.http.port=${port}`,
    `discovery.uri=http://127.0.0.1:${port}`,
    'query.max-memory=512MB',
    'query.max-memory-per-node=512MB',
  ]);
  write('catalog/memory.properties', ['connector.name=memory', 'memory.max-data-per-node=256MB']);
  return etc;
}

const launcher = (args, java) =>
  execFileSync(path.join(SERVER, 'bin', 'launcher'), args, {
    env: { ...process.env, JAVA_HOME: java, PATH: `${path.join(java, 'bin')}:${process.env.PATH}` },
    encoding: 'utf8',
  });

/** Start (or reuse) the server; resolves to its URL once it takes queries. */
export async function start() {
  const running = status();
  if (running) return running.url;
  const java = javaHome();
  unpack();
  const port = await freePort();
  const etc = configure(port);
  const dataDir = path.join(HOME, 'data');
  launcher(['start', `--etc-dir=${etc}`, `--data-dir=${dataDir}`], java);
  const url = `http://127.0.0.1:${port}`;
  const started = Date.now();
  for (;;) {
    try {
      const info = await (await fetch(`${url}/v1/info`)).json();
      if (info.starting === false) break;
    } catch {
      // not listening yet
    }
    if (Date.now() - started > 180_000) throw new Error(`Trino did not start in 3 minutes: see ${path.join(dataDir, 'var', 'log', 'server.log')}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  fs.writeFileSync(STATE, JSON.stringify({ url, etc, dataDir, java, seconds: (Date.now() - started) / 1000 }));
  return url;
}

export function status() {
  try {
    return JSON.parse(fs.readFileSync(STATE, 'utf8'));
  } catch {
    return undefined;
  }
}

export function stop() {
  const s = status();
  if (!s) return;
  try {
    launcher(['stop', `--etc-dir=${s.etc}`, `--data-dir=${s.dataDir}`], s.java);
  } finally {
    fs.rmSync(STATE, { force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const cmd = process.argv[2];
  if (cmd === 'start') console.log(await start());
  else if (cmd === 'stop') stop();
  else if (cmd === 'status') console.log(JSON.stringify(status() ?? null));
  else {
    console.error('usage: node scripts/trino.mjs start|stop|status');
    process.exit(2);
  }
}
