// Precompiled handlebars templates by file name. Empty in the sources, which compile templates/
// on first use; the build (bin/build.mjs) replaces this module with every template precompiled, so
// the CLI carries only handlebars' runtime and compiles nothing at start.
export const PRECOMPILED: Readonly<Record<string, unknown>> = {};
