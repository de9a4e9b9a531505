/** Image width/height from the file header (JPEG, PNG, BMP), without decoding pixels. */
import { promises as fs } from 'fs';
import { decodeImage } from '../runtime/ops';

async function readAt(fh: fs.FileHandle, pos: number, len: number): Promise<Buffer> {
  const buf = Buffer.alloc(len);
  const { bytesRead } = await fh.read(buf, 0, len, pos);
  return buf.subarray(0, bytesRead);
}

async function jpegSize(fh: fs.FileHandle): Promise<[number, number] | undefined> {
  let pos = 2;
  for (let guard = 0; guard < 10000; guard++) {
    const h = await readAt(fh, pos, 9);
    if (h.length < 4 || h[0] !== 0xff) return undefined;
    const marker = h[1];
    if (marker === 0xff) { pos++; continue; } // fill byte
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) { pos += 2; continue; }
    const len = h.readUInt16BE(2);
    // SOF0..SOF15 carry the frame size, except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (h.length < 9) return undefined;
      return [h.readUInt16BE(7), h.readUInt16BE(5)];
    }
    pos += 2 + len;
  }
  return undefined;
}

/** [width, height]; formats the header reader does not know are decoded by the addon. */
export async function imageSize(file: string): Promise<[number, number]> {
  const fh = await fs.open(file, 'r');
  try {
    const head = await readAt(fh, 0, 32);
    if (head.length >= 24 && head.readUInt32BE(0) === 0x89504e47) return [head.readUInt32BE(16), head.readUInt32BE(20)];
    if (head.length >= 26 && head[0] === 0x42 && head[1] === 0x4d) return [Math.abs(head.readInt32LE(18)), Math.abs(head.readInt32LE(22))];
    if (head[0] === 0xff && head[1] === 0xd8) {
      const s = await jpegSize(fh);
      if (s) return s;
    }
  } finally {
    await fh.close();
  }
  const img = await decodeImage(file);
  return [img.width, img.height];
}
