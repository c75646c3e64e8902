import crypto from 'node:crypto';
import { AppError } from '../../shared/errors';

export const MAX_COVER_BYTES = 5 * 1024 * 1024;

const TYPES = [
  {
    ext: 'jpg',
    mime: 'image/jpeg',
    test: (b: Buffer) => b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
  },
  {
    ext: 'png',
    mime: 'image/png',
    test: (b: Buffer) =>
      b.length > 8 && b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  },
  {
    ext: 'webp',
    mime: 'image/webp',
    test: (b: Buffer) =>
      b.length > 12 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP',
  },
] as const;

/**
 * Identifies an uploaded image by its first bytes, never by its name or declared type, and
 * names it by content hash (so the URL can be cached forever and a re-upload is a new URL).
 */
export function inspectCoverImage(campaignId: string, data: Buffer): { key: string; mime: string } {
  if (!data.length) throw AppError.validation('Send the image as the request body', [], 'IMAGE_REQUIRED');
  if (data.length > MAX_COVER_BYTES)
    throw new AppError('payload_too_large', 'PAYLOAD_TOO_LARGE', 'Images are limited to 5 MB');
  const type = TYPES.find((t) => t.test(data));
  if (!type)
    throw AppError.validation('Only JPEG, PNG and WebP images are accepted', [], 'UNSUPPORTED_IMAGE_TYPE');
  const hash = crypto.createHash('sha256').update(data).digest('hex').slice(0, 16);
  return { key: `campaigns/${campaignId}/cover-${hash}.${type.ext}`, mime: type.mime };
}

const PUBLIC_KEY = /^campaigns\/[0-9a-f-]{36}\/cover-[0-9a-f]{16}\.(jpg|png|webp)$/;

/** Only campaign cover images are public media; anything else in storage (ticket PDFs) is not. */
export function publicMediaType(key: string): string | null {
  const m = PUBLIC_KEY.exec(key);
  if (!m) return null;
  return m[1] === 'jpg' ? 'image/jpeg' : `image/${m[1]}`;
}
