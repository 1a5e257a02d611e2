// Handlebars templates of text outputs, found in templates/ from this module in the sources
// (generator/emit) and in dist/, compiled once.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';

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

const compiled = new Map<string, HandlebarsTemplateDelegate>();

/** A template rendering text verbatim (no HTML escaping: callers escape for their format). */
export function textTemplate(name: string): HandlebarsTemplateDelegate {
  let template = compiled.get(name);
  if (template === undefined) {
    template = Handlebars.create().compile(readFileSync(templatePath(name), 'utf8'), { noEscape: true, strict: true });
    compiled.set(name, template);
  }
  return template;
}
