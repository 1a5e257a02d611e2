// Builds dist/cli.mjs (the CLI) and runtime/dist/index.mjs (the runtime Lambda, one self-contained
// file) from the TypeScript sources. Runs at pack time (`prepack`, with --clean) and in the repo
// (`npm run build`, the tests' global setup); an installed package never builds.
//   node bin/build.mjs [--clean] [--cli]   --clean: empty dist/ first; --cli: the CLI only
import { build } from 'esbuild';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readdir, rm, stat as statFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const manifest = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8'));

/**
 * Packages the CLI imports but does not bundle: the optional peer dependencies (the local stack
 * that only `run` loads, from its own chunk) and what only the repository's tests and tools use.
 * Everything else (yaml, ajv, handlebars, jsonc-parser) is bundled, so that a generate-only install
 * is this package alone.
 */
const EXTERNAL = [
  ...Object.keys(manifest.peerDependencies ?? {}),
  '@aws-sdk/*',
  '@smithy/*',
  'asl-validator',
  'ts-morph',
  'typescript',
  'esbuild',
];

/** esbuild's outputs written each to a temporary file and renamed into place, so a reader never sees half a file. */
function writeAtomically(outputFiles) {
  for (const file of outputFiles) {
    mkdirSync(dirname(file.path), { recursive: true });
    const temporary = `${file.path}.${process.pid}.tmp`;
    writeFileSync(temporary, file.contents);
    renameSync(temporary, file.path);
  }
}

/**
 * Modules the CLI carries precompiled, each replaced by what a function of the sources returns:
 * the schema's validator (ajv standalone code) and the handlebars templates (so the CLI loads only
 * handlebars' runtime). Compiling them was most of a cold `validate`, `generate` or `check`.
 */
const PRECOMPILED = [
  {
    module: 'generator/load/schema-validator.ts',
    from: 'generator/load/schema-validator.ts',
    render: 'precompiledValidatorModule',
  },
  {
    module: 'generator/emit/precompiled-templates.ts',
    from: 'generator/emit/templates.ts',
    render: 'precompiledTemplatesModule',
  },
];

/** Bundles `from` on its own, imports it and returns what its function `render` gives. */
async function renderWithSources(from, render) {
  const cache = resolve(root, 'node_modules/.cache/sfn-redshift-build');
  mkdirSync(cache, { recursive: true });
  const outfile = resolve(cache, `${render}.${process.pid}.mjs`);
  await build({
    absWorkingDir: root,
    entryPoints: [resolve(root, from)],
    outfile,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    logLevel: 'warning',
  });
  try {
    return (await import(pathToFileURL(outfile).href))[render]();
  } finally {
    rmSync(outfile, { force: true });
  }
}

const precompiledModules = {
  name: 'precompiled-modules',
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: /\.ts$/ }, async (args) => {
      const entry = PRECOMPILED.find((candidate) => resolve(root, candidate.module) === args.path);
      return entry
        ? { contents: await renderWithSources(entry.from, entry.render), loader: 'js', resolveDir: dirname(args.path) }
        : undefined;
    });
  },
};

/**
 * The license texts of the packages a bundle contains (esbuild drops their comments), written
 * beside it: bundled code keeps its notices.
 */
function writeNotices(metafile, outfile) {
  const packages = new Map();
  for (const output of Object.values(metafile.outputs)) {
    for (const input of Object.keys(output.inputs)) {
      const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
      if (match) packages.set(match[1], true);
    }
  }
  const sections = [...packages.keys()].sort().flatMap((directory) => {
    const manifest = JSON.parse(readFileSync(resolve(root, directory, 'package.json'), 'utf8'));
    const license = readdirSync(resolve(root, directory)).find((name) => /^(licen[cs]e|copying)/i.test(name));
    const text = license
      ? readFileSync(resolve(root, directory, license), 'utf8').trim()
      : `License: ${manifest.license ?? 'see the package'}`;
    return [`${manifest.name}@${manifest.version}\n${'-'.repeat(72)}\n${text}\n`];
  });
  writeAtomically([
    {
      path: resolve(root, outfile),
      contents: Buffer.from(
        `Third-party software bundled in this file's directory, with its licenses.\n\n${sections.join('\n')}`,
      ),
    },
  ]);
}

export async function buildCli(options = {}) {
  if (options.clean) rmSync(resolve(root, 'dist'), { recursive: true, force: true });
  // Code splitting keeps what `run` imports dynamically (the local stack) in its own chunk: without
  // it esbuild hoists those packages' imports to the top of cli.mjs and every command pays for them
  // (or fails when the optional peers are not installed).
  const { metafile, outputFiles } = await build({
    absWorkingDir: root,
    entryPoints: { cli: 'generator/cli/main.ts' },
    outdir: 'dist',
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    splitting: true,
    metafile: true,
    write: false,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: EXTERNAL,
    plugins: [precompiledModules],
    // ES module builds where packages have them (jsonc-parser's UMD build requires files by computed paths).
    mainFields: ['module', 'main'],
    // Bundled CommonJS packages (handlebars, ajv) call require() for Node's built-ins.
    banner: {
      js: "import { createRequire as __sfnRedshiftCreateRequire } from 'node:module'; const require = __sfnRedshiftCreateRequire(import.meta.url);",
    },
    // Minified: a cold start reads and parses the whole file (a third of a `check` was module loading).
    minify: true,
    logLevel: 'warning',
    legalComments: 'none',
  });
  writeAtomically(outputFiles);
  writeNotices(metafile, 'dist/THIRD-PARTY-NOTICES.txt');
  await pruneChunks(new Set(Object.keys(metafile.outputs).map((path) => resolve(root, path))));
  return metafile;
}

/**
 * Chunk names carry a content hash, so each rebuild leaves the previous ones behind. Remove those
 * the new build does not use, once they are old enough that no concurrent build can still be
 * writing them or a CLI process still about to import them.
 */
async function pruneChunks(current) {
  const directory = resolve(root, 'dist/chunks');
  const entries = await readdir(directory).catch(() => []);
  const cutoff = Date.now() - 10 * 60 * 1000;
  for (const name of entries) {
    const path = resolve(directory, name);
    if (current.has(path)) continue;
    const stats = await statFile(path).catch(() => undefined);
    if (stats && stats.mtimeMs < cutoff) await rm(path, { force: true });
  }
}

/** Where the runtime bundle lands, relative to the repository root. */
export const RUNTIME_BUNDLE = 'runtime/dist/index.mjs';

/**
 * The runtime Lambda: one minified ESM file exporting `handler`, for nodejs22.x.
 *
 * The AWS SDK v3 clients are bundled rather than taken from the Lambda runtime: the runtime's SDK
 * version floats with AWS's updates, while the handler relies on specific behaviour (error names,
 * AWS_ENDPOINT_URL_<SERVICE> support); and one pre-linked file imports faster than resolving SDK
 * packages file by file (cold import, median of 11 on Node 20: 37 ms bundled at 395 KB, versus
 * 105 ms for a 24 KB bundle with the SDK left external). `mainFields` prefers the SDK's ES module
 * builds, which tree-shake far better than its CommonJS ones (627 KB).
 *
 * @param {{ outfile?: string }} [options]
 * @returns {Promise<{ outfile: string; bytes: number }>}
 */
export async function buildRuntime(options = {}) {
  const outfile = options.outfile ?? RUNTIME_BUNDLE;
  const { outputFiles, metafile } = await build({
    absWorkingDir: root,
    entryPoints: ['runtime/src/index.ts'],
    outfile,
    write: false,
    metafile: true,
    bundle: true,
    minify: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    mainFields: ['module', 'main'],
    logLevel: 'warning',
    legalComments: 'none',
  });
  writeAtomically(outputFiles);
  writeNotices(metafile, `${dirname(outfile)}/THIRD-PARTY-NOTICES.txt`);
  return { outfile, bytes: statSync(resolve(root, outfile)).size };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const flags = new Set(process.argv.slice(2));
  await Promise.all([buildCli({ clean: flags.has('--clean') }), ...(flags.has('--cli') ? [] : [buildRuntime()])]);
}
