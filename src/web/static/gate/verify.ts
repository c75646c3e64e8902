import * as noble from '@noble/ed25519';
import {
  isPrepared,
  judgeTicketVerification,
  prepareTicketVerification,
  publicKeyBytes,
  type TicketVerification,
  type VerificationKey,
} from '../../../modules/tickets/browser';

/**
 * Ticket QR verification on the phone, with the campaign's public keys alone. Decoding, the
 * version and length checks, the key choice and the validity window are the tickets module's
 * own functions (the server's verifyTicketQr runs the same ones); this file adds only the
 * Ed25519 check: WebCrypto where the browser has Ed25519 (Chromium 137+, Firefox 129+,
 * Safari 17+; it needs a secure context, which localhost is), else @noble/ed25519 (audited,
 * no dependencies; its SHA-512 comes from WebCrypto's digest, which every browser has).
 */

export type Ed25519Engine = 'webcrypto' | 'noble';

let detected: Promise<Ed25519Engine> | undefined;
let forced: Ed25519Engine | undefined;
const importedKeys = new Map<string, Promise<CryptoKey>>();

/** What this browser offers: WebCrypto when it verifies an RFC 8032 test vector correctly (probed once). */
export function detectEd25519Engine(): Promise<Ed25519Engine> {
  detected ??= (async (): Promise<Ed25519Engine> => {
    try {
      if (!globalThis.crypto?.subtle) return 'noble';
      // RFC 8032 test vector 1: a browser that imports Ed25519 keys but verifies wrongly (or
      // not at all) must not be trusted with tickets.
      const key = await crypto.subtle.importKey('raw', hex(RFC8032_PUBLIC), { name: 'Ed25519' }, false, [
        'verify',
      ]);
      const ok = await crypto.subtle.verify(
        { name: 'Ed25519' },
        key,
        hex(RFC8032_SIGNATURE),
        new Uint8Array(),
      );
      return ok ? 'webcrypto' : 'noble';
    } catch {
      return 'noble';
    }
  })();
  return detected;
}

/** The Ed25519 implementation verifications use: the detected one unless one was forced. */
export async function ed25519Engine(): Promise<Ed25519Engine> {
  return forced ?? detectEd25519Engine();
}

/** Forces an engine (tests, the benchmark); the next verification uses it. */
export function useEd25519Engine(which: Ed25519Engine): void {
  forced = which;
}

const RFC8032_PUBLIC = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';
const RFC8032_SIGNATURE =
  'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b';

function hex(s: string): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(i * 2, i * 2 + 2), 16);
  return out;
}

function copy(b: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(b);
}

async function verifySignature(
  key: VerificationKey,
  message: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  const raw = publicKeyBytes(key);
  if (raw.length !== 32) return false;
  if ((await ed25519Engine()) === 'noble') {
    try {
      // Strict RFC 8032 rules, as OpenSSL (the server) and WebCrypto apply them, not ZIP-215's.
      return await noble.verifyAsync(signature, message, raw, { zip215: false });
    } catch {
      return false;
    }
  }
  const id = `${key.campaignId.toLowerCase()}:${key.keyId}:${typeof key.publicKey === 'string' ? key.publicKey : ''}`;
  let imported = importedKeys.get(id);
  if (!imported) {
    imported = crypto.subtle.importKey('raw', copy(raw), { name: 'Ed25519' }, false, ['verify']);
    importedKeys.set(id, imported);
  }
  try {
    return await crypto.subtle.verify({ name: 'Ed25519' }, await imported, copy(signature), copy(message));
  } catch {
    return false;
  }
}

/** verifyTicketQr of the tickets module, asynchronous because WebCrypto is. */
export async function verifyTicketQr(
  scanned: string,
  keys: Iterable<VerificationKey>,
  now: Date,
): Promise<TicketVerification> {
  const prepared = prepareTicketVerification(scanned, keys);
  if (!isPrepared(prepared)) return prepared;
  const ok = await verifySignature(prepared.key, prepared.message, prepared.signature);
  return judgeTicketVerification(prepared, ok, now);
}
