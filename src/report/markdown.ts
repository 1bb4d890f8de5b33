/**
 * The report as Markdown, walking the four steps of the notice. Every value that comes from the logs
 * (user agents, names, session names, tags...) is attacker-controlled: it goes through `md()`, which
 * makes it printable (no newline or terminal sequence: report.md is also read with cat and less) and
 * escapes Markdown and HTML so it can neither format the page nor inject markup when rendered.
 */
import { printable } from '../escape.js';
import { madeWith } from '../provenance.js';
import type { Report } from './report.js';
import { timeZone, zoned } from './zone.js';
import {
  attemptsIntro,
  billingTables,
  dataIntro,
  dataTable,
  findingTable,
  findingsIntro,
  iamTable,
  keyTable,
  resourceTables,
  unusedKeysLine,
} from './tables.js';

/** A value from the logs, safe inside Markdown text and table cells. */
export function md(v: unknown): string {
  if (v === null || v === undefined || v === '') return '-';
  return (
    printable(String(v))
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      // Markdown's own punctuation, backslash-escaped (still readable in the raw file)
      .replace(/[\\`*_{}[\]#!|~]/g, (c) => `\\${c}`)
  );
}

const table = (head: string[], rows: unknown[][]) =>
  rows.length === 0
    ? '_none_\n'
    : `${[`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.map(md).join(' | ')} |`)].join('\n')}\n`;

/** The title, the summary and the evidence limits. */
const header = (r: Report): string[] => [
  `# Incident report: leaked AWS access key`,
  '',
  `Generated ${md(r.generatedAt)} by keytrail from the case database, offline. Seeds: ${r.seeds.map(md).join(', ')}.`,
  '',
  md(`Made with ${madeWith(r.provenance, r.rulesRun)}.`),
  '',
  '## Summary',
  '',
  ...r.summary.map((s) => `- ${md(s)}`),
  '',
  ...(r.coverage.warnings.length ? ['> **Evidence limits**', ...r.coverage.warnings.map((w) => `> - ${md(w)}`), ''] : []),
];

const keys = (r: Report): string[] => {
  const t = keyTable(r);
  const unused = unusedKeysLine(r);
  return [
    '## Step 1: access keys',
    '',
    "Every key and temporary credential in the chain that was used, the seed first, then each owner's credentials together, and its status as the logs show it.",
    '',
    table(t.head, t.rows),
    ...(unused ? ['', md(unused)] : []),
  ];
};

const iamChanges = (r: Report): string[] => {
  const t = iamTable(r);
  return [
    '',
    '## Step 2: IAM changes',
    '',
    'Every IAM change made by a credential or identity of the chain (failed calls marked). The lineage graph is in lineage.html.',
    '',
    md(`Attack window: ${r.window.how}`),
    '',
    table(t.head, t.rows),
  ];
};

/** Step 3: what was made, region by region, the failed attempts, and the region x day counts. */
function resources(r: Report): string[] {
  const out = ['', '## Step 3: resources in every region', ''];
  for (const t of resourceTables(r)) out.push(`### ${md(t.title)}`, '', table(t.head, t.rows), '');
  const days = [...new Set(r.heatmap.map((h) => h.day))].sort();
  const regions = [...new Set(r.heatmap.map((h) => h.region))].sort();
  out.push(
    '',
    '### Attacker activity by region and day (events)',
    '',
    table(
      ['region', ...days],
      regions.map((rg) => [rg, ...days.map((d) => r.heatmap.find((h) => h.region === rg && h.day === d)?.events ?? 0)]),
    ),
  );
  return out;
}

const coverage = (r: Report): string[] => [
  '',
  '## Coverage',
  '',
  `Days covered: ${md(r.coverage.days[0])} to ${md(r.coverage.days.at(-1))}; us-east-1 ${r.coverage.usEast1 ? 'present' : '**missing**'}.`,
  '',
  table(
    ['region', 'days', 'events', 'first', 'last'],
    r.coverage.regions.map((x) => [x.region, x.days, x.events, x.first, x.last]),
  ),
  ...(r.coverage.warnings.length ? ['', ...r.coverage.warnings.map((w) => `- ${md(w)}`)] : []),
  ...integrity(r),
];

/** Coverage's part on CloudTrail's digest files, when the evidence had any. */
const integrity = (r: Report): string[] =>
  r.integrity
    ? [
        '',
        '### Evidence integrity',
        '',
        `${md(r.integrity.statement)}.`,
        ...(r.integrity.rows.length
          ? [
              '',
              table(
                ['status', 'check', 'file', 'detail'],
                r.integrity.rows.map((x) => [x.status, x.check, x.file, x.detail]),
              ),
              ...(r.integrity.problems > r.integrity.rows.length
                ? [`${r.integrity.problems - r.integrity.rows.length} more problem(s): keytrail verify lists them all.`]
                : []),
            ]
          : []),
      ]
    : [];

const findings = (r: Report): string[] => {
  const t = findingTable(r);
  const a = findingTable(r, true);
  return [
    '',
    '## Findings',
    '',
    `${findingsIntro(r)}; ${r.otherFindings} more elsewhere in the case are in findings.csv.`,
    '',
    table(t.head, t.rows),
    '',
    '### Attempts that were refused',
    '',
    attemptsIntro(r),
    ...(a.rows.length ? ['', table(a.head, a.rows)] : []),
  ];
};

const timeline = (r: Report): string[] => [
  '',
  '## Step 4: for the billing adjustment request',
  ...billingTables(r).flatMap((t) => ['', `### ${t.title}`, '', ...(t.intro ? [md(t.intro), ''] : []), t.rows.length ? table(t.head, t.rows) : 'none']),
  '',
  '### Timeline',
  '',
  'A factual timeline of the incident and of the remediation, as the logs show it.',
  '',
  table(
    ['time', 'what', 'eventID'],
    r.timeline.map((x) => [x.eventTime, x.what, x.eventID]),
  ),
];

const data = (r: Report): string[] => {
  const t = dataTable(r);
  return ['', '## Data touched by the chain', '', dataIntro(r), ...(t.rows.length ? ['', table(t.head, t.rows)] : [])];
};

/** The sections in the order of the notice's four steps. */
const SECTIONS = [header, keys, iamChanges, resources, data, coverage, findings, timeline];

export function renderMarkdown(r: Report): string {
  const text = `${SECTIONS.flatMap((section) => section(r)).join('\n')}\n`;
  return r.timeZone ? zoned(text, timeZone(r.timeZone)) : text;
}
