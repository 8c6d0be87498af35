// The data converter of every Temporal client and worker of this service: an order's payloads
// encrypted with its own data key, every other payload (and any payload without a workflow's
// context) with PAYLOAD_ENCRYPTION_KEYS; failure messages encrypted with them.
import { fileURLToPath } from 'node:url';
import type { DataConverter } from '@temporalio/common';
import type { Config } from '../config.js';
import { AesGcmPayloadCodec, type DataKeyResolver } from './payload-codec.js';

/** Also given to bundleWorkflowCode: failures created inside workflow code are converted there. */
export const FAILURE_CONVERTER_PATH = fileURLToPath(new URL('./failure-converter.cjs', import.meta.url));

/**
 * `dataKeys` (privacy/data-keys.ts) is what every process that writes or reads orders passes;
 * without it, payloads are encrypted with PAYLOAD_ENCRYPTION_KEYS alone and an order's cannot be read.
 */
export function orderDataConverter(config: Pick<Config, 'payloadEncryptionKeys'>, dataKeys?: DataKeyResolver): DataConverter {
  return {
    payloadCodecs: [new AesGcmPayloadCodec(config.payloadEncryptionKeys, dataKeys)],
    failureConverterPath: FAILURE_CONVERTER_PATH,
  };
}
