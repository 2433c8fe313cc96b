/** The CRC-32 table (IEEE polynomial, as java.util.zip.CRC32). */
const TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array, start = 0xffffffff): number {
  let crc = start;
  for (const byte of bytes) crc = TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return crc;
}

/**
 * The checksum Flyway records for a SQL migration: CRC-32 over the file's
 * lines without their line breaks (a byte order mark at the start dropped),
 * as a signed 32-bit integer. Line endings do not change it.
 */
export function flywayChecksum(text: string): number {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  // A line reader sees no line after the last line break.
  if (lines.length > 1 && lines.at(-1) === '') lines.pop();
  if (text === '') return 0;
  let crc = 0xffffffff;
  const encoder = new TextEncoder();
  for (const line of lines) crc = crc32(encoder.encode(line), crc);
  return (crc ^ 0xffffffff) | 0;
}
