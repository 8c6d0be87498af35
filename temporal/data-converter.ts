// The data converter of every Temporal client and worker of this service: payloads encrypted with
// PAYLOAD_ENCRYPTION_KEYS, failure messages encrypted with them.
import { fileURLToPath } from 'node:url';
import type { DataConverter } from '@temporalio/common';
import type { Config } from '../config.js';
import { AesGcmPayloadCodec } from './payload-codec.js';

/** Also given to bundleWorkflowCode: failures created inside workflow code are converted there. */
export const FAILURE_CONVERTER_PATH = fileURLToPath(new URL('./failure-converter.cjs', import.meta.url));

export function orderDataConverter(config: Pick<Config, 'payloadEncryptionKeys'>): DataConverter {
  return {
    payloadCodecs: [new AesGcmPayloadCodec(config.payloadEncryptionKeys)],
    failureConverterPath: FAILURE_CONVERTER_PATH,
  };
}
