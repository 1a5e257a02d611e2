import { existsSync, readFileSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { addScripts, PackageJsonError } from '../../emit/package-json.ts';
import { textTemplate } from '../../emit/templates.ts';
import { describeFsError, ensureDirectory, OutputWriteError } from '../../emit/write.ts';
import { defineCommand, EXIT, UsageError } from '../command.ts';
import { DEFAULT_OUT_DIRECTORY, DEFAULT_SPEC_DIRECTORY } from '../spec-files.ts';

export const EXAMPLE_SPEC = 'example.yaml';
/** Where npm installs our schema in the user's project. */
const INSTALLED_SCHEMA = ['node_modules', 'sfn-redshift', 'schemas', 'pipeline.schema.json'];

const posix = (path: string) => path.split(sep).join('/');

export const initCommand = defineCommand({
  name: 'init',
  summary: 'Scaffold pipelines/example.yaml and add asl:generate / asl:check scripts to package.json.',
  positionals: '',
  details: [
    'The example spec carries a yaml-language-server $schema comment for completion in editors.',
    'Nothing is overwritten: init stops, changing nothing, when the example exists or when package.json',
    'already has an asl:generate or asl:check script that runs something else.',
  ].join('\n'),
  options: {
    dir: {
      type: 'string',
      valueName: 'DIR',
      description: `Directory of the specs (default ${DEFAULT_SPEC_DIRECTORY}/)`,
    },
    out: {
      type: 'string',
      valueName: 'DIR',
      description: `Output directory the scripts name (default ${DEFAULT_OUT_DIRECTORY}/)`,
    },
  },
  async run({ positionals, options }, io) {
    if (positionals.length > 0) throw new UsageError(`init takes no arguments, got ${positionals.join(' ')}`);
    const specDirectory = options.dir ?? DEFAULT_SPEC_DIRECTORY;
    const outDirectory = options.out ?? DEFAULT_OUT_DIRECTORY;
    const specPath = resolve(io.cwd, specDirectory, EXAMPLE_SPEC);
    const shownSpec = posix(relative(io.cwd, specPath));
    const packagePath = join(io.cwd, 'package.json');

    const refuse = (reason: string) => {
      io.err(`sfn-redshift init: ${reason}; nothing was changed.`);
      return EXIT.failed;
    };
    if (existsSync(specPath)) return refuse(`${shownSpec} exists and init never overwrites`);

    // Both changes are prepared first, so that a refusal leaves everything as it was.
    const defaults = specDirectory === DEFAULT_SPEC_DIRECTORY && outDirectory === DEFAULT_OUT_DIRECTORY;
    const args = defaults ? '' : ` ${posix(specDirectory)} --out ${posix(outDirectory)}`;
    const scripts = { 'asl:generate': `sfn-redshift generate${args}`, 'asl:check': `sfn-redshift check${args}` };
    let packageChange: ReturnType<typeof addScripts> | undefined;
    if (existsSync(packagePath)) {
      try {
        packageChange = addScripts(readFileSync(packagePath, 'utf8'), scripts);
      } catch (error) {
        if (error instanceof PackageJsonError) return refuse(`package.json: ${error.message}`);
        throw error;
      }
    }
    const schema = posix(relative(dirname(specPath), join(io.cwd, ...INSTALLED_SCHEMA)));
    const spec = textTemplate('example-pipeline.yaml.hbs')({
      schema,
      specDirectory: posix(specDirectory),
      outDirectory: posix(outDirectory),
    });

    const written = writeBoth(
      specPath,
      spec,
      packageChange?.added.length ? { path: packagePath, text: packageChange.text } : undefined,
    );
    if (written !== undefined) {
      io.err(`sfn-redshift init: ${written.message}; nothing was changed.`);
      return EXIT.invalid;
    }
    io.out(`created ${shownSpec} (schema for editors: ${schema})`);
    if (!existsSync(join(io.cwd, ...INSTALLED_SCHEMA)))
      io.out(
        `  note: ${posix(join(...INSTALLED_SCHEMA))} is not there yet; npm install --save-dev sfn-redshift puts it there`,
      );
    if (packageChange === undefined) {
      io.out('no package.json here: add these scripts to yours:');
      for (const [name, command] of Object.entries(scripts)) io.out(`  "${name}": "${command}"`);
    } else {
      if (packageChange.added.length > 0) {
        io.out(
          `added to package.json: ${packageChange.added.map((name) => `"${name}": "${scripts[name as keyof typeof scripts]}"`).join(', ')}`,
        );
      }
      if (packageChange.present.length > 0) io.out(`already in package.json: ${packageChange.present.join(', ')}`);
    }
    io.out(
      `next: edit ${shownSpec}, run npm run asl:generate and commit ${posix(specDirectory)}/ and ${posix(outDirectory)}/; run npm run asl:check in CI`,
    );
    return EXIT.ok;
  },
});

/** Writes the example spec and package.json both or neither; the error names the path and cause. */
function writeBoth(
  specPath: string,
  spec: string,
  packageJson: { path: string; text: string } | undefined,
): OutputWriteError | undefined {
  let created: string[] = [];
  let current = specPath;
  try {
    created = ensureDirectory(dirname(specPath));
    writeFileSync(specPath, spec, { flag: 'wx' });
    current = packageJson?.path ?? specPath;
    if (packageJson) {
      // Beside it, then renamed over it: a full disk never leaves a truncated package.json.
      writeFileSync(`${packageJson.path}.${process.pid}.tmp`, packageJson.text);
      renameSync(`${packageJson.path}.${process.pid}.tmp`, packageJson.path);
    }
    return undefined;
  } catch (error) {
    if (packageJson) rmSync(`${packageJson.path}.${process.pid}.tmp`, { force: true });
    if (current !== specPath) rmSync(specPath, { force: true });
    for (const directory of created.reverse()) {
      try {
        rmdirSync(directory);
      } catch {
        // not empty: leave it
      }
    }
    return error instanceof OutputWriteError ? error : new OutputWriteError(posix(current), describeFsError(error));
  }
}
