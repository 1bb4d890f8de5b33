/** The `code` of a system error (ENOENT, EACCES...), or of a zlib error (Z_DATA_ERROR...); undefined for anything else thrown. */
export function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

/** An error of zlib's (its code Z_DATA_ERROR, Z_BUF_ERROR...). */
export const isZlibError = (err: unknown): err is Error => err instanceof Error && (errnoCode(err)?.startsWith('Z_') ?? false);
