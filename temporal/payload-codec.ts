// AES-256-GCM encryption of every workflow payload (inputs, results, Update arguments, query
// answers, memo, failure details): what Temporal stores and shows holds no personal data in clear.
// Used by the clients and workers (never inside workflow code: it needs node:crypto).
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import protoPkg from '@temporalio/proto';
import type { PayloadEncryptionKey } from '../config.js';

const PayloadMessage = protoPkg.temporal.api.common.v1.Payload;

/** The metadata an encrypted payload carries: the encoding, and the id of the key that decrypts it. */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A payload this codec cannot decrypt: unknown key id, or a ciphertext that fails authentication. */
export class PayloadDecryptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PayloadDecryptionError';
  }
}

const text = (bytes: Uint8Array | null | undefined) => (bytes ? Buffer.from(bytes).toString('utf8') : undefined);

export function isEncrypted(payload: Payload): boolean {
  return text(payload.metadata?.encoding) === ENCRYPTED_ENCODING;
}

/**
 * The whole payload (metadata and data) is serialised and sealed: `data` = 12-byte random IV,
 * ciphertext, 16-byte GCM tag. The first key encrypts; every key decrypts what names its id, so a
 * new key goes first and the old ones stay until no open workflow needs them.
 */
export class AesGcmPayloadCodec implements PayloadCodec {
  private readonly encryptingKey: PayloadEncryptionKey;
  private readonly keysById: Map<string, Buffer>;

  constructor(keys: readonly PayloadEncryptionKey[]) {
    if (!keys[0]) throw new Error('AesGcmPayloadCodec needs at least one key');
    for (const { id, key } of keys) {
      if (key.length !== 32) throw new Error(`payload key "${id}" must be 32 bytes`);
    }
    this.encryptingKey = keys[0];
    this.keysById = new Map(keys.map(({ id, key }) => [id, key]));
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.encrypt(payload));
  }

  /** Payloads written before encryption was turned on pass through unchanged. */
  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => (isEncrypted(payload) ? this.decrypt(payload) : payload));
  }

  private encrypt(payload: Payload): Payload {
    const { id, key } = this.encryptingKey;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, key, iv);
    const sealed = Buffer.concat([iv, cipher.update(PayloadMessage.encode(payload).finish()), cipher.final(), cipher.getAuthTag()]);
    return {
      metadata: { encoding: Buffer.from(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: Buffer.from(id) },
      data: sealed,
    };
  }

  private decrypt(payload: Payload): Payload {
    const keyId = text(payload.metadata?.[KEY_ID_METADATA]);
    const key = keyId === undefined ? undefined : this.keysById.get(keyId);
    if (!key) {
      throw new PayloadDecryptionError(
        `payload encrypted with key "${keyId ?? '(none)'}", which is not among the configured keys (${[...this.keysById.keys()].join(', ')})`,
      );
    }
    const sealed = Buffer.from(payload.data ?? []);
    if (sealed.length < IV_BYTES + TAG_BYTES) throw new PayloadDecryptionError('encrypted payload is too short');
    const decipher = createDecipheriv(ALGORITHM, key, sealed.subarray(0, IV_BYTES));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    let plain: Buffer;
    try {
      plain = Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new PayloadDecryptionError(`encrypted payload failed authentication with key "${keyId}" (altered, or sealed with another key)`);
    }
    return PayloadMessage.decode(plain);
  }
}
