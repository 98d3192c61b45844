import { createHash, randomBytes } from 'node:crypto';

/** The SHA-256 hex digest of an API key: what the store keeps instead of the key. */
export function keyDigest(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** A new random API key: `wf_` and 32 random bytes in base64url. */
export function generateApiKey(): string {
  return `wf_${randomBytes(32).toString('base64url')}`;
}
