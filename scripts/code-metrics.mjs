#!/usr/bin/env node
// Code metrics for the done-when of issue 12: the longest functions and the
// most complex (cyclomatic: 1 + each branch point), and the counts of `as`
// casts (not `as const`) and String()/Number() coercions in src/.
// Usage: node scripts/code-metrics.mjs [--limit-lines 80] [--limit-complexity 15] [--top 15]
import { readFileSync } from 'node:fs';
import fg from 'fast-glob';
import ts from 'typescript';

const arg = (name, fallback) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const maxLines = arg('--limit-lines', 80);
const maxComplexity = arg('--limit-complexity', 15);
const top = arg('--top', 15);

const BRANCHES = new Set([
  ts.SyntaxKind.IfStatement,
  ts.SyntaxKind.ConditionalExpression,
  ts.SyntaxKind.CaseClause,
  ts.SyntaxKind.ForStatement,
  ts.SyntaxKind.ForInStatement,
  ts.SyntaxKind.ForOfStatement,
  ts.SyntaxKind.WhileStatement,
  ts.SyntaxKind.DoStatement,
  ts.SyntaxKind.CatchClause,
]);
const LOGICAL = new Set([ts.SyntaxKind.AmpersandAmpersandToken, ts.SyntaxKind.BarBarToken, ts.SyntaxKind.QuestionQuestionToken]);

const isFunction = (n) =>
  ts.isFunctionDeclaration(n) ||
  ts.isFunctionExpression(n) ||
  ts.isArrowFunction(n) ||
  ts.isMethodDeclaration(n) ||
  ts.isConstructorDeclaration(n) ||
  ts.isGetAccessor(n) ||
  ts.isSetAccessor(n);

function complexity(fn) {
  let count = 1;
  const visit = (n) => {
    if (n !== fn && isFunction(n)) return;
    if (BRANCHES.has(n.kind)) count++;
    if (ts.isBinaryExpression(n) && LOGICAL.has(n.operatorToken.kind)) count++;
    ts.forEachChild(n, visit);
  };
  ts.forEachChild(fn, visit);
  return count;
}

function nameOf(fn, sf) {
  if (fn.name) return fn.name.getText(sf);
  const p = fn.parent;
  if (p && ts.isVariableDeclaration(p)) return p.name.getText(sf);
  if (p && ts.isPropertyAssignment(p)) return p.name.getText(sf);
  return '(anonymous)';
}

const functions = [];
let casts = 0;
let coercions = 0;
for (const file of fg.sync('src/**/*.ts').sort()) {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const visit = (n) => {
    if (ts.isAsExpression(n) && n.type.getText(sf) !== 'const') casts++;
    if (ts.isTypeAssertionExpression(n)) casts++;
    if (ts.isCallExpression(n) && ts.isIdentifier(n.expression) && (n.expression.text === 'String' || n.expression.text === 'Number') && n.arguments.length > 0)
      coercions++;
    if (isFunction(n) && n.body) {
      const start = sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;
      const end = sf.getLineAndCharacterOfPosition(n.end).line + 1;
      functions.push({ where: `${file}:${start}`, name: nameOf(n, sf), lines: end - start + 1, complexity: complexity(n) });
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
}

const show = (title, list) => {
  console.log(title);
  for (const f of list) console.log(`  ${String(f.lines).padStart(4)} lines  cc ${String(f.complexity).padStart(3)}  ${f.name}  ${f.where}`);
};
show(`longest ${top}:`, [...functions].sort((a, b) => b.lines - a.lines).slice(0, top));
show(`most complex ${top}:`, [...functions].sort((a, b) => b.complexity - a.complexity).slice(0, top));
const over = functions.filter((f) => f.lines > maxLines || f.complexity > maxComplexity);
console.log(`functions: ${functions.length}; over ${maxLines} lines or complexity ${maxComplexity}: ${over.length}`);
console.log(`as casts (not 'as const'): ${casts}; String()/Number() coercions: ${coercions}`);
