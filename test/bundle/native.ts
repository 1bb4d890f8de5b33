/**
 * What a native library is built for, read from its first bytes: ELF (Linux), Mach-O thin or
 * universal (macOS), PE (Windows). The bundle tests use it to prove each platform's archive holds
 * DuckDB's library for that platform and architecture, and none for another.
 */

/** The platform a library runs on, as Node names them (`process.platform-process.arch`). */
export type Target = `${'linux' | 'darwin' | 'win32'}-${'x64' | 'arm64'}`;

export interface Native {
  format: 'ELF' | 'Mach-O' | 'Mach-O universal' | 'PE';
  /** Every platform the file can be loaded on (a universal Mach-O file holds several). */
  targets: Target[];
}

type Arch = 'x64' | 'arm64';
/** e_machine: EM_X86_64, EM_AARCH64. */
const ELF_MACHINE = new Map<number, Arch>([
  [0x3e, 'x64'],
  [0xb7, 'arm64'],
]);
/** cputype: CPU_TYPE_X86_64, CPU_TYPE_ARM64. */
const MACHO_CPU = new Map<number, Arch>([
  [0x01000007, 'x64'],
  [0x0100000c, 'arm64'],
]);
/** Machine: IMAGE_FILE_MACHINE_AMD64, IMAGE_FILE_MACHINE_ARM64. */
const PE_MACHINE = new Map<number, Arch>([
  [0x8664, 'x64'],
  [0xaa64, 'arm64'],
]);

/** The format and targets of a library from its header (at least its first 4 KiB); undefined when it is not one of the three. */
export function nativeTargets(head: Buffer): Native | undefined {
  // ELF: 7f 'E' 'L' 'F', class 2 (64-bit), data 1 (little-endian), e_machine at 18.
  if (head.readUInt32BE(0) === 0x7f454c46) {
    const arch = head[4] === 2 && head[5] === 1 ? ELF_MACHINE.get(head.readUInt16LE(18)) : undefined;
    return { format: 'ELF', targets: arch ? [`linux-${arch}`] : [] };
  }
  // Mach-O 64-bit, little-endian: magic feedfacf, cputype at 4.
  if (head.readUInt32LE(0) === 0xfeedfacf) {
    const arch = MACHO_CPU.get(head.readUInt32LE(4));
    return { format: 'Mach-O', targets: arch ? [`darwin-${arch}`] : [] };
  }
  // Universal (fat) Mach-O, big-endian: cafebabe, nfat_arch, then 20-byte entries starting with cputype.
  if (head.readUInt32BE(0) === 0xcafebabe) {
    const n = head.readUInt32BE(4);
    const targets: Target[] = [];
    for (let i = 0; i < n && 8 + 20 * (i + 1) <= head.length; i++) {
      const arch = MACHO_CPU.get(head.readUInt32BE(8 + 20 * i));
      if (arch) targets.push(`darwin-${arch}`);
    }
    return { format: 'Mach-O universal', targets };
  }
  // PE: 'MZ', the PE header's offset at 0x3c, 'PE\0\0', then the machine.
  if (head.readUInt16BE(0) === 0x4d5a) {
    const pe = head.readUInt32LE(0x3c);
    if (pe + 6 > head.length || head.readUInt32BE(pe) !== 0x50450000) return undefined;
    const arch = PE_MACHINE.get(head.readUInt16LE(pe + 4));
    return { format: 'PE', targets: arch ? [`win32-${arch}`] : [] };
  }
  return undefined;
}
