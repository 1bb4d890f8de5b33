/** The `code` of a system error (ENOENT, EACCES...), or of a zlib error (Z_DATA_ERROR...); undefined for anything else thrown. */
export function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}
