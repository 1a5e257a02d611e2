#!/usr/bin/env node
// Runs dist/cli.mjs, rebuilding it first when it is missing or older than the sources
// (a fresh clone has no dist/ until the first run).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bundle = join(root, 'dist', 'cli.mjs');
const sources = ['generator', 'local', 'runtime/src', 'schemas', 'templates'].map((dir) => join(root, dir));

function newestSource(path) {
  let newest = 0;
  let entries;
  try {
    entries = readdirSync(path, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const child = join(path, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(child) : statSync(child).mtimeMs);
  }
  return newest;
}

function isStale() {
  try {
    const built = statSync(bundle).mtimeMs;
    return sources.some((dir) => newestSource(dir) > built);
  } catch {
    return true;
  }
}

if (isStale()) {
  const { buildCli } = await import('./build.mjs');
  await buildCli();
}
const { main } = await import(pathToFileURL(bundle).href);
await main();
