// AES-256-GCM encryption of every workflow payload (inputs, results, Update arguments, query
// answers, memo, failure details): what Temporal stores and shows holds no personal data in clear.
// An order's payloads are encrypted with the order's own data key (privacy/data-keys.ts), so
// destroying that key makes its history unreadable; every other payload with PAYLOAD_ENCRYPTION_KEYS.
// Used by the clients and workers (never inside workflow code: it needs node:crypto).
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec, SerializationContext } from '@temporalio/common';
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

/** 12-byte random IV, ciphertext, 16-byte GCM tag; `aad` is authenticated, not stored. */
export function seal(key: Buffer, plain: Uint8Array, aad?: Buffer): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, key, iv);
  if (aad) cipher.setAAD(aad);
  return Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
}

/** What `seal` sealed, or PayloadDecryptionError naming `keyName` when it fails authentication. */
export function unseal(key: Buffer, sealed: Buffer, keyName: string, aad?: Buffer): Buffer {
  if (sealed.length < IV_BYTES + TAG_BYTES) throw new PayloadDecryptionError('encrypted payload is too short');
  const decipher = createDecipheriv(ALGORITHM, key, sealed.subarray(0, IV_BYTES));
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  if (aad) decipher.setAAD(aad);
  try {
    return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new PayloadDecryptionError(`encrypted payload failed authentication with key "${keyName}" (altered, or sealed with another key)`);
  }
}

/**
 * Data keys of their own for some workflows' payloads (privacy/data-keys.ts: one per order). A
 * payload names its key by id, so the codec endpoint, which knows no workflow, decodes by id alone.
 */
export interface DataKeyResolver {
  /** The key that encrypts this workflow's payloads; undefined: it has none (PAYLOAD_ENCRYPTION_KEYS encrypt). Throws once destroyed. */
  keyFor(workflowId: string): Promise<PayloadEncryptionKey | undefined>;
  /** Whether a payload's key id names a data key. */
  names(keyId: string): boolean;
  /** The data key of that id; null once destroyed (its payloads stay sealed for good). */
  keyById(keyId: string): Promise<Buffer | null>;
}

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

  constructor(
    keys: readonly PayloadEncryptionKey[],
    private readonly dataKeys?: DataKeyResolver,
  ) {
    if (!keys[0]) throw new Error('AesGcmPayloadCodec needs at least one key');
    for (const { id, key } of keys) {
      if (key.length !== 32) throw new Error(`payload key "${id}" must be 32 bytes`);
    }
    this.encryptingKey = keys[0];
    this.keysById = new Map(keys.map(({ id, key }) => [id, key]));
  }

  /** With a workflow's context (SDK 1.24, experimental), its own data key when it has one. */
  async encode(payloads: Payload[], context?: SerializationContext): Promise<Payload[]> {
    if (payloads.length === 0) return payloads;
    const dataKey = context?.workflowId && this.dataKeys ? await this.dataKeys.keyFor(context.workflowId) : undefined;
    const { id, key } = dataKey ?? this.encryptingKey;
    return payloads.map((payload) => ({
      metadata: { encoding: Buffer.from(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: Buffer.from(id) },
      data: seal(key, PayloadMessage.encode(payload).finish()),
    }));
  }

  /**
   * Payloads written before encryption was turned on pass through unchanged, and so do those whose
   * data key was destroyed: the Web UI and the CLI show them as encrypted.
   */
  async decode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.all(payloads.map((payload) => (isEncrypted(payload) ? this.decrypt(payload) : payload)));
  }

  private async decrypt(payload: Payload): Promise<Payload> {
    const keyId = text(payload.metadata?.[KEY_ID_METADATA]);
    const key = keyId !== undefined && this.dataKeys?.names(keyId) ? await this.dataKeys.keyById(keyId) : keyId === undefined ? undefined : this.keysById.get(keyId);
    if (key === null) return payload;
    if (!key) {
      throw new PayloadDecryptionError(
        `payload encrypted with key "${keyId ?? '(none)'}", which is not among the configured keys (${[...this.keysById.keys()].join(', ')})`,
      );
    }
    return PayloadMessage.decode(unseal(key, Buffer.from(payload.data ?? []), keyId!));
  }
}
