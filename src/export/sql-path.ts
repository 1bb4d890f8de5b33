/** A file path as an SQL string literal, for the statements (COPY) that take no bound path. */
export const sqlPath = (p: string) => `'${p.replace(/'/g, "''")}'`;
