// The Temporal codec-server protocol, so the Temporal Web UI and CLI can show the order
// workflows' encrypted payloads in clear to a rep: POST /codec/decode and /codec/encode with
// `{ payloads: [{ metadata: { <key>: <base64> }, data: <base64> }] }` in and out.
// Behind rep auth; CORS answers only the Temporal Web UI's origin.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Payload, PayloadCodec } from '@temporalio/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { PayloadDecryptionError } from '../../temporal/payload-codec.js';
import { ProblemError } from '../problem.js';

const Base64 = Type.String({ pattern: '^[A-Za-z0-9+/]*={0,2}$' });
const PayloadList = Type.Array(
  Type.Object({
    metadata: Type.Optional(Type.Record(Type.String({ maxLength: 256 }), Base64, { maxProperties: 32 })),
    data: Type.Optional(Base64),
  }),
  { maxItems: 1000 },
);
const PayloadsSchema = Type.Object({ payloads: PayloadList }, { additionalProperties: false });
// Protobuf JSON leaves an empty list out: the CLI sends `{}` for a query without arguments.
const PayloadsRequestSchema = Type.Object({ payloads: Type.Optional(PayloadList) }, { additionalProperties: false });
type PayloadsJson = { payloads?: Array<{ metadata?: Record<string, string>; data?: string }> };

/** A workflow history's payloads can be large; still bounded, and only read after authentication. */
const CODEC_BODY_LIMIT = 4 * 1024 * 1024;

const fromJson = (body: PayloadsJson): Payload[] =>
  (body.payloads ?? []).map(({ metadata = {}, data = '' }) => ({
    metadata: Object.fromEntries(Object.entries(metadata).map(([key, value]) => [key, Buffer.from(value, 'base64')])),
    data: Buffer.from(data, 'base64'),
  }));

const toJson = (payloads: Payload[]): Required<PayloadsJson> => ({
  payloads: payloads.map(({ metadata, data }) => ({
    metadata: Object.fromEntries(Object.entries(metadata ?? {}).map(([key, value]) => [key, Buffer.from(value ?? []).toString('base64')])),
    data: Buffer.from(data ?? []).toString('base64'),
  })),
});

export interface CodecOptions {
  codec: PayloadCodec;
  temporalUiUrl?: string | undefined;
  /**
   * Development with the dev server `npm start` runs: its Web UI has no rep token to send, so a
   * request from that UI's origin on this machine (loopback) needs none.
   */
  openToLocalTemporalUi?: boolean;
}

const isLoopback = (ip: string) => ip === '::1' || ip.startsWith('127.') || ip.startsWith('::ffff:127.');

const codec: FastifyPluginAsyncTypebox<CodecOptions> = async (app, options) => {
  const allowedOrigin = options.temporalUiUrl ? new URL(options.temporalUiUrl).origin : undefined;
  const authenticate = async (request: FastifyRequest) => {
    if (options.openToLocalTemporalUi && allowedOrigin && request.headers.origin === allowedOrigin && isLoopback(request.ip)) return;
    await app.authenticateRep(request);
  };

  // Before authentication, so the UI can also read a 401.
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    reply.header('vary', 'Origin');
    if (allowedOrigin && request.headers.origin === allowedOrigin) {
      reply.header('access-control-allow-origin', allowedOrigin);
      reply.header('access-control-allow-credentials', 'true');
    }
  });

  // Preflight: the UI sends JSON with Authorization and X-Namespace headers.
  app.options('/codec/:operation', { schema: { hide: true } }, async (_request, reply) =>
    reply
      .header('access-control-allow-methods', 'POST')
      .header('access-control-allow-headers', 'authorization, content-type, x-namespace')
      .header('access-control-max-age', '600')
      .code(204)
      .send(),
  );

  const routeOptions = (summary: string) => ({
    schema: {
      tags: ['operations'],
      summary,
      security: [{ repToken: [] }],
      body: PayloadsRequestSchema,
      response: { 200: PayloadsSchema, 400: Type.Ref('Problem'), 401: Type.Ref('Problem'), 413: Type.Ref('Problem') },
    },
    bodyLimit: CODEC_BODY_LIMIT,
    // A wrong token is answered at once, before the body is read: the CLI retries a refusal until its deadline.
    onRequest: authenticate,
  });

  app.post('/codec/decode', routeOptions('Decrypt workflow payloads (Temporal codec server, for the Web UI and CLI)'), async (request) => {
    try {
      return toJson(await options.codec.decode(fromJson(request.body)));
    } catch (error) {
      if (error instanceof PayloadDecryptionError) {
        throw new ProblemError(400, 'undecodable-payload', 'The payloads could not be decoded', error.message);
      }
      throw error;
    }
  });

  app.post('/codec/encode', routeOptions('Encrypt workflow payloads (Temporal codec server)'), async (request) =>
    toJson(await options.codec.encode(fromJson(request.body))),
  );
};

export default codec;
