import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { zipArchive } from '../../emit/zip.ts';
import { defineCommand, EXIT } from '../command.ts';
import { ownPackage } from '../own-package.ts';

export const RUNTIME_BUNDLE = 'runtime/dist/index.mjs';
export const RUNTIME_ZIP = 'runtime.zip';
const DEFAULT_RUNTIME_OUT = 'build/sfn-redshift-runtime';

function writeFileAtomically(path: string, content: Buffer): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, content);
  renameSync(temporary, path);
}

export const runtimeCommand = defineCommand({
  name: 'runtime',
  summary: 'Write the runtime Lambda (index.mjs) and its deployment zip, for runtime.template.yaml.',
  positionals: '',
  details: [
    `Copies the runtime bundle this package ships (${RUNTIME_BUNDLE}, one ESM file exporting handler, for`,
    `nodejs22.x) to DIR/index.mjs and writes DIR/${RUNTIME_ZIP} with index.mjs at its root: upload the zip to S3`,
    'and name it in the parameters RuntimeCodeS3Bucket / RuntimeCodeS3Key, or point CDK/SAM at it.',
    'The zip is byte-identical for the same package version (fixed timestamps), so its hash changes',
    'only when the runtime does.',
  ].join('\n'),
  options: {
    out: { type: 'string', valueName: 'DIR', description: `Directory to write to (default ${DEFAULT_RUNTIME_OUT}/)` },
  },
  async run({ options }, io) {
    const bundle = join(ownPackage().root, RUNTIME_BUNDLE);
    if (!existsSync(bundle)) {
      io.err(
        `sfn-redshift runtime: ${bundle} is missing; in a clone of the repository run \`npm run build\` first (a published package ships it).`,
      );
      return EXIT.failed;
    }
    const content = readFileSync(bundle);
    const directory = resolve(io.cwd, options.out ?? DEFAULT_RUNTIME_OUT);
    mkdirSync(directory, { recursive: true });
    writeFileAtomically(join(directory, 'index.mjs'), content);
    const zip = zipArchive([{ name: 'index.mjs', content }]);
    writeFileAtomically(join(directory, RUNTIME_ZIP), zip);
    const shown = `${relative(io.cwd, directory) || '.'}/`;
    io.out(
      `wrote ${shown}index.mjs (${Math.round(content.length / 1024)} KiB) and ${shown}${RUNTIME_ZIP} (${Math.round(zip.length / 1024)} KiB, index.mjs at its root)`,
    );
    return EXIT.ok;
  },
});
