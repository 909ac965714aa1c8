// Type-checks every dashboards/*.json against StrictDashboard (types.ts),
// which is built on Grafana's published dashboard types (@grafana/schema).
// Each dashboard is compiled in memory as `const d: StrictDashboard = <json>`,
// so TypeScript's excess-property checks reject fields Grafana would not
// understand. Exits non-zero with the compiler's messages on any error.
//
//   node typecheck.mjs [dashboard.json ...]   (default: ../../dashboards/*.json)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const dashboards = args.length > 0
  ? args.map((f) => path.resolve(f))
  : fs.readdirSync(path.join(here, '..', '..', 'dashboards'))
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => path.join(here, '..', '..', 'dashboards', f));
if (dashboards.length === 0) {
  console.error('no dashboards to check');
  process.exit(1);
}

// One virtual source file per dashboard, beside types.ts so that
// @grafana/schema resolves from this directory's node_modules.
const virtual = new Map();
for (const file of dashboards) {
  const json = fs.readFileSync(file, 'utf8');
  JSON.parse(json); // a syntax error is reported by JSON.parse, with its position
  const name = path.join(here, `__check_${path.basename(file, '.json')}.ts`);
  virtual.set(name, {
    source: `import type { StrictDashboard } from './types';\nexport const dashboard: StrictDashboard = ${json};\n`,
    origin: file,
  });
}

const options = {
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  types: [],
};
const host = ts.createCompilerHost(options);
const { fileExists, readFile, getSourceFile } = host;
host.fileExists = (f) => virtual.has(f) || fileExists.call(host, f);
host.readFile = (f) => (virtual.has(f) ? virtual.get(f).source : readFile.call(host, f));
host.getSourceFile = (f, lang, ...rest) =>
  virtual.has(f)
    ? ts.createSourceFile(f, virtual.get(f).source, lang)
    : getSourceFile.call(host, f, lang, ...rest);

const program = ts.createProgram([...virtual.keys()], options, host);
const diagnostics = ts.getPreEmitDiagnostics(program);
for (const d of diagnostics) {
  const message = ts.flattenDiagnosticMessageText(d.messageText, '\n  ');
  if (d.file) {
    const { line, character } = d.file.getLineAndCharacterOfPosition(d.start ?? 0);
    const v = virtual.get(d.file.fileName);
    // Line 2 of the virtual file is line 1 of the dashboard.
    const where = v ? `${path.relative(process.cwd(), v.origin)}:${line}:${character + 1}` : `${d.file.fileName}:${line + 1}`;
    console.error(`${where}: ${message}`);
  } else {
    console.error(message);
  }
}
if (diagnostics.length > 0) {
  process.exit(1);
}
console.log(`${dashboards.length} dashboards match @grafana/schema`);
