/** Trino's HTTP protocol, as far as the tests need it: run a statement, follow nextUri, collect the rows. */
export async function query(url: string, statement: string): Promise<unknown[][]> {
  const headers = { 'X-Trino-User': 'keytrail', 'X-Trino-Catalog': 'memory', 'X-Trino-Schema': 'default' };
  let page = (await (await fetch(`${url}/v1/statement`, { method: 'POST', body: statement, headers })).json()) as Page;
  const rows: unknown[][] = [];
  for (;;) {
    if (page.data) rows.push(...page.data);
    if (page.error) throw new Error(`${page.error.message}\n${statement.slice(0, 400)}`);
    if (!page.nextUri) return rows;
    page = (await (await fetch(page.nextUri, { headers })).json()) as Page;
  }
}

/** The same, with the result's column names (what Athena writes as the CSV header). */
export async function queryWithColumns(url: string, statement: string): Promise<{ columns: string[]; rows: unknown[][] }> {
  const headers = { 'X-Trino-User': 'keytrail', 'X-Trino-Catalog': 'memory', 'X-Trino-Schema': 'default' };
  let page = (await (await fetch(`${url}/v1/statement`, { method: 'POST', body: statement, headers })).json()) as Page;
  const rows: unknown[][] = [];
  let columns: string[] = [];
  for (;;) {
    if (page.columns) columns = page.columns.map((c) => c.name);
    if (page.data) rows.push(...page.data);
    if (page.error) throw new Error(`${page.error.message}\n${statement.slice(0, 400)}`);
    if (!page.nextUri) return { columns, rows };
    page = (await (await fetch(page.nextUri, { headers })).json()) as Page;
  }
}

interface Page {
  columns?: { name: string }[];
  data?: unknown[][];
  nextUri?: string;
  error?: { message: string };
}
