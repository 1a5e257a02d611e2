// Handlebars templates of text outputs, found in templates/ from this module in the sources
// (generator/emit) and in dist/. The built CLI carries them precompiled (precompiled-templates.ts)
// and loads only handlebars' runtime; the sources compile them on first use.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as handlebarsRuntime from 'handlebars/runtime.js';
import { PRECOMPILED } from './precompiled-templates.ts';

type Handlebars = typeof import('handlebars');
type Helpers = Readonly<Record<string, (...args: never[]) => unknown>>;

export class TemplateNotFoundError extends Error {
  override readonly name = 'TemplateNotFoundError';
}

/** Path of `templates/<name>`, found from this module in the sources and in dist/. */
export function templatePath(name: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 5; depth++) {
    const candidate = join(dir, 'templates', name);
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new TemplateNotFoundError(`templates/${name} not found above ${fileURLToPath(import.meta.url)}`);
}

/**
 * Every template renders text verbatim (no HTML escaping: callers escape for their format); strict
 * (a missing field throws) except the runtime template, whose target fields are optional.
 */
function compileOptions(name: string): { noEscape: true; strict: boolean } {
  return { noEscape: true, strict: name !== 'runtime.template.yaml.hbs' };
}

/** A fresh handlebars environment (its own helpers) of the runtime alone, or of the full compiler. */
function environment(full: boolean): Handlebars {
  if (full) return (createRequire(import.meta.url)('handlebars') as Handlebars).create();
  return (
    (handlebarsRuntime as unknown as { default: Handlebars }).default ?? (handlebarsRuntime as unknown as Handlebars)
  ).create();
}

/** `templates/<name>` with `helpers`: precompiled in the built CLI, compiled from the file in the sources. */
export function compileTemplate(name: string, helpers: Helpers = {}): HandlebarsTemplateDelegate {
  const spec = PRECOMPILED[name];
  const handlebars = environment(spec === undefined);
  for (const [helper, implementation] of Object.entries(helpers))
    handlebars.registerHelper(helper, implementation as never);
  if (spec !== undefined) return handlebars.template(spec as TemplateSpecification);
  return handlebars.compile(readFileSync(templatePath(name), 'utf8'), compileOptions(name));
}

/** precompiled-templates.ts as the build writes it: every template of templates/ precompiled now. */
export function precompiledTemplatesModule(): string {
  const handlebars = environment(true);
  const directory = dirname(templatePath('pipeline.md.hbs'));
  const entries = readdirSync(directory)
    .filter((name) => name.endsWith('.hbs'))
    .sort()
    .map(
      (name) =>
        `  ${JSON.stringify(name)}: ${String(handlebars.precompile(readFileSync(join(directory, name), 'utf8'), compileOptions(name)))},`,
    );
  return `export const PRECOMPILED = {\n${entries.join('\n')}\n};\n`;
}

const compiled = new Map<string, HandlebarsTemplateDelegate>();

/** A template without helpers, compiled once. */
export function textTemplate(name: string): HandlebarsTemplateDelegate {
  let template = compiled.get(name);
  if (template === undefined) {
    template = compileTemplate(name);
    compiled.set(name, template);
  }
  return template;
}
