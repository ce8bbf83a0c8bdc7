// The package.json that npm packs leaves out what only this repository uses: scripts that run
// files the tarball does not ship (compat/, test/), c8's settings, the install policy and the
// overrides. npm puts the package.json on disk into the tarball, so `prepack` writes the
// published one and `postpack` puts the working tree's back:
//
//   node .ci/pack-manifest.mjs strip     prepack
//   node .ci/pack-manifest.mjs restore   postpack, or by hand
//
// npm runs postpack only when packing succeeded (npm 11). So `strip` first checks the one thing
// npm fails on after it, the --pack-destination folder, and leaves a guard process that puts
// package.json back as soon as npm exits without postpack (Ctrl-C, an I/O error). A backup that
// even the guard could not restore (it was killed too) is put back by the next `strip`.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';

const DEV_ONLY_FIELDS = ['scripts', 'c8', 'allowScripts', 'overrides', 'workspaces'];
const MANIFEST = 'package.json';
const STATE = 'node_modules/.cache/http2-async-context-pack';
const BACKUP = `${STATE}/package.json`;
const OWNER = `${STATE}/owner`;
const SHELLS = new Set(['sh', 'dash', 'bash', 'zsh', 'ash', 'busybox']);

/** Replaces package.json in one rename, so a concurrent reader sees the old file or the new one. */
function writeManifest(text) {
  mkdirSync(STATE, { recursive: true });
  writeFileSync(`${STATE}/next.json`, text);
  renameSync(`${STATE}/next.json`, MANIFEST);
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

/** Name and parent of a process: /proc on Linux, ps elsewhere; undefined where neither answers. */
function processInfo(pid) {
  try {
    const [, name, fields] = /^\d+ \((.*)\) (.*)$/s.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    return { name, ppid: Number(fields.split(' ')[1]) };
  } catch { /* not Linux */ }
  try {
    const [ppid, ...name] = execFileSync('ps', ['-o', 'ppid=,comm=', '-p', String(pid)], { encoding: 'utf8' }).trim().split(/\s+/);
    return { name: basename(name.join(' ')), ppid: Number(ppid) };
  } catch {
    return undefined;
  }
}

/** The npm process that runs this script: our parent, or its parent when npm went through `sh -c`. */
function npmPid() {
  const parent = processInfo(process.ppid);
  return parent && SHELLS.has(parent.name) ? parent.ppid : process.ppid;
}

function restore() {
  if (!existsSync(BACKUP)) return false;
  writeManifest(readFileSync(BACKUP));
  rmSync(STATE, { recursive: true, force: true });
  return true;
}

function strip() {
  if (existsSync(BACKUP)) {
    const owner = existsSync(OWNER) ? Number(readFileSync(OWNER, 'utf8')) : 0;
    if (owner > 0 && isAlive(owner) && owner !== npmPid()) fail(`npm (pid ${owner}) is packing this directory; wait for it to finish`);
    restore();
    console.error('pack-manifest: put back the package.json that an interrupted pack left stripped');
  }
  const destination = process.env.npm_config_pack_destination;
  if (process.env.npm_command === 'pack' && process.env.npm_config_dry_run !== 'true' && destination
    && !statSync(destination, { throwIfNoEntry: false })?.isDirectory()) {
    fail(`--pack-destination ${destination} is not a folder`);
  }
  const original = readFileSync(MANIFEST, 'utf8');
  const published = JSON.parse(original);
  for (const field of DEV_ONLY_FIELDS) delete published[field];
  const owner = npmPid();
  mkdirSync(STATE, { recursive: true });
  writeFileSync(OWNER, String(owner));
  writeFileSync(BACKUP, original);
  writeManifest(`${JSON.stringify(published, null, 2)}\n`);
  // On Windows npm runs scripts through cmd.exe, whose parent we cannot look up without a
  // subprocess per level; there the next strip (or `restore` by hand) repairs an interrupted pack.
  if (process.platform !== 'win32') {
    spawn(process.execPath, [fileURLToPath(import.meta.url), 'guard', String(owner)], { detached: true, stdio: 'ignore' }).unref();
  }
}

/** Waits for npm to exit; if postpack has not restored package.json by then, restores it. */
function guard(pid) {
  const timer = setInterval(() => {
    if (!existsSync(BACKUP)) clearInterval(timer);
    else if (!isAlive(pid)) {
      clearInterval(timer);
      restore();
    }
  }, 20);
}

function fail(message) {
  console.error(`pack-manifest: ${message}`);
  process.exit(1);
}

const [command, pid] = process.argv.slice(2);
if (command === 'strip') strip();
else if (command === 'restore') restore();
else if (command === 'guard') guard(Number(pid));
else fail('usage: node .ci/pack-manifest.mjs strip|restore');
