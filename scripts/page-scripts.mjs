#!/usr/bin/env node
// The pages' browser code (src/browser/*.ts, type-checked by `npm run typecheck`, linted by Biome)
// as the one inline script of each HTML page: each file transpiled by TypeScript, the shared files
// first (drawn.ts, then graph.ts), each inside a function of its own that hands back what it exports
// (its helpers stay private to it), then the page's own file inside a function of its own, as a
// module's code is scoped. The result is written as a string constant beside the renderer that inlines it
// (src/<page>/page-script.generated.ts, git-ignored: an artefact, not source), so the renderer has
// it whether it runs from dist/ (the CLI) or from src/ (vitest), with no TypeScript at run time.
// `npm run build`, `npm test` and the test setup write them; `--check` fails when one is missing or
// stale.
// Usage: node scripts/page-scripts.mjs [--check]
import fs from 'node:fs';
import ts from 'typescript';

const root = new URL('../', import.meta.url);
/** The files every page's script starts with, in this order: each may import (values) from those before it. */
const SHARED = ['src/browser/drawn.ts', 'src/browser/graph.ts'];
const PAGES = [
  { source: 'src/browser/lineage-page.ts', out: 'src/lineage/page-script.generated.ts', name: 'LINEAGE_PAGE_SCRIPT', page: 'the lineage page' },
  { source: 'src/browser/report-page.ts', out: 'src/report/page-script.generated.ts', name: 'REPORT_PAGE_SCRIPT', page: 'report.html' },
];
/** How a file in src/browser names a shared file in an import. */
const specifier = (file) => `./${file.slice(file.lastIndexOf('/') + 1).replace(/\.ts$/, '.js')}`;

const isExport = (m) => m.kind === ts.SyntaxKind.ExportKeyword;
const typeOnly = (s) =>
  s.importClause?.isTypeOnly ||
  (s.importClause && !s.importClause.name && s.importClause.namedBindings && ts.isNamedImports(s.importClause.namedBindings)
    ? s.importClause.namedBindings.elements.every((e) => e.isTypeOnly)
    : false);

/** Drops the imports (type-only ones, and the `linked` shared files', which the page script holds before) and `export`, naming what was exported in `exported`; refuses any other import or export. */
const unmodule = (file, linked, exported) => () => (sf) =>
  ts.factory.updateSourceFile(
    sf,
    sf.statements.flatMap((s) => {
      if (ts.isImportDeclaration(s)) {
        if (typeOnly(s) || linked.includes(s.moduleSpecifier.text)) return [];
        throw new Error(`${file}: browser code imports only types and ${linked.join(', ') || 'no value'}, not ${s.moduleSpecifier.text}`);
      }
      if (ts.isExportDeclaration(s) || ts.isExportAssignment(s)) throw new Error(`${file}: export only declarations`);
      if (ts.canHaveModifiers(s) && s.modifiers?.some(isExport)) {
        exported.push(...declaredNames(file, s));
        return [
          ts.factory.replaceModifiers(
            s,
            s.modifiers.filter((m) => !isExport(m)),
          ),
        ];
      }
      return [s];
    }),
  );
/** The names an exported statement declares (a function, a class, or `const a = ..., b = ...`). */
function declaredNames(file, s) {
  if (ts.isVariableStatement(s)) return s.declarationList.declarations.map((d) => (ts.isIdentifier(d.name) ? d.name.text : refuse(file)));
  if ((ts.isFunctionDeclaration(s) || ts.isClassDeclaration(s)) && s.name) return [s.name.text];
  if (ts.isInterfaceDeclaration(s) || ts.isTypeAliasDeclaration(s)) return []; // types: gone once transpiled
  return refuse(file);
}
const refuse = (file) => {
  throw new Error(`${file}: export only named functions, classes, types and plain consts`);
};

/** TypeScript's `export {};` that keeps an emptied module a module: the page's script is not one. */
const noEmptyExport = () => (sf) =>
  ts.factory.updateSourceFile(
    sf,
    sf.statements.filter((s) => !(ts.isExportDeclaration(s) && !s.moduleSpecifier && s.exportClause && s.exportClause.elements.length === 0)),
  );

/** The file as plain script, and the names it exported. */
function transpile(file, linked) {
  const exported = [];
  const out = ts.transpileModule(fs.readFileSync(new URL(file, root), 'utf8'), {
    fileName: file,
    reportDiagnostics: true,
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, removeComments: true },
    transformers: { before: [unmodule(file, linked, exported)], after: [noEmptyExport] },
  });
  if (out.diagnostics?.length) throw new Error(`${file}: ${ts.flattenDiagnosticMessageText(out.diagnostics[0].messageText, '\n')}`);
  return { text: out.outputText, exported };
}

/** The page's script: what ends it or opens a comment in HTML must not be in it (the page's data never is: it is JSON in its own block). */
function script(source) {
  const shared = SHARED.map((file, i) => {
    const { text, exported } = transpile(file, SHARED.slice(0, i).map(specifier));
    const names = exported.join(', ');
    return `const { ${names} } = (function () {\n${text}return { ${names} };\n})();\n`;
  });
  const text = `\n${shared.join('')}(function () {\n${transpile(source, SHARED.map(specifier)).text}})();\n`;
  const bad = /<\/script|<script|<!--/i.exec(text);
  if (bad) throw new Error(`${source}: the script holds ${bad[0]}, which would end it or change how the page reads it`);
  return text;
}

const literal = (text) => `\`${text.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${')}\``;

const check = process.argv.includes('--check');
let stale = 0;
for (const p of PAGES) {
  const text =
    `// Generated by scripts/page-scripts.mjs from ${SHARED.join(', ')} and ${p.source}: do not edit (npm run build writes it).\n\n` +
    `/** The inline script of ${p.page}. */\n` +
    `export const ${p.name} = ${literal(script(p.source))};\n`;
  const out = new URL(p.out, root);
  const was = fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : null;
  if (was === text) continue;
  if (check) {
    console.error(`${p.out} is not what ${p.source} makes: run npm run build`);
    stale++;
  } else fs.writeFileSync(out, text);
}
if (stale) process.exit(1);
