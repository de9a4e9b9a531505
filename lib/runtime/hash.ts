/** SHA-256 of a file, streamed in chunks: a model with gigabytes of weights is not read into memory at once. */
import { createHash } from 'crypto';
import { createReadStream } from 'fs';

export async function fileSha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
