/** Writes zip files for tests, including ones a well-behaved zip tool would refuse to write. */
import fs from 'node:fs';
import { once } from 'node:events';
import yazl from 'yazl';

export interface ZipEntry {
  name: string;
  data: Buffer | string;
}

export default async function writeZip(file: string, entries: ZipEntry[], rename: Record<string, string> = {}): Promise<void> {
  const zip = new yazl.ZipFile();
  for (const e of entries) zip.addBuffer(Buffer.from(e.data), e.name, { mtime: new Date('2026-10-15T00:00:00Z') });
  zip.end();
  const chunks: Buffer[] = [];
  zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
  await once(zip.outputStream, 'end');
  let buf = Buffer.concat(chunks);
  // Names yazl refuses (`../`, absolute) are written as same-length stand-ins and patched in place.
  for (const [from, to] of Object.entries(rename)) {
    if (from.length !== to.length) throw new Error('rename must keep the length');
    buf = Buffer.from(buf.toString('latin1').split(from).join(to), 'latin1');
  }
  fs.writeFileSync(file, buf);
}
