// The Temporal connection from Temporal's environment configuration (SPEC §7.5): the run's dev
// server behind TLS, with a certificate authority this test makes. The dev server (CLI 1.5.1) has
// no TLS options, so a TLS terminator in front of it (TCP level: gRPC's HTTP/2 passes through
// untouched) plays the cluster. The API's client and the worker connect through it only with the
// variables an operator would set — TEMPORAL_ADDRESS, TEMPORAL_TLS_SERVER_CA_CERT_PATH,
// TEMPORAL_TLS_SERVER_NAME — and an order runs from intake to PROVISIONED.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../config.js';
import { temporalConnectionOptions } from '../temporal/connection.js';
import { eventually, type Harness, startHarness } from './support/harness.js';
import { freshSubdomain, orderInServiceSetup, saveAllSections } from './support/wizard-flow.js';

const SERVER_NAME = 'temporal.orders.test';

/** A CA and a server certificate for SERVER_NAME signed by it (rustls refuses a self-signed leaf as its own CA). */
function makeCertificates(dir: string) {
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=orders test CA', '-keyout', file('ca.key'), '-out', file('ca.pem'));
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', `/CN=${SERVER_NAME}`, '-keyout', file('server.key'), '-out', file('server.csr'));
  const extensions = file('server.ext');
  execFileSync('sh', ['-c', `printf 'subjectAltName=DNS:${SERVER_NAME}\\nbasicConstraints=CA:FALSE\\nextendedKeyUsage=serverAuth\\n' > '${extensions}'`]);
  openssl('x509', '-req', '-in', file('server.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial', '-days', '1', '-extfile', extensions, '-out', file('server.pem'));
  return { caPath: file('ca.pem'), keyPath: file('server.key'), certPath: file('server.pem') };
}

/** Terminates TLS (ALPN h2, as gRPC clients ask for) and pipes each connection to the plain dev server. */
async function startTlsTerminator(target: string, keyPath: string, certPath: string) {
  const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  let handshakes = 0;
  const sockets = new Set<net.Socket>();
  const server = tls.createServer({ key: await readFile(keyPath), cert: await readFile(certPath), ALPNProtocols: ['h2'] }, (secure) => {
    handshakes += 1;
    const plain = net.connect(port, host);
    for (const socket of [secure, plain]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => socket.destroy());
    }
    secure.pipe(plain).pipe(secure);
    secure.on('close', () => plain.destroy());
    plain.on('close', () => secure.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    handshakes: () => handshakes,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

let dir: string;
let terminator: Awaited<ReturnType<typeof startTlsTerminator>>;
let h: Harness;
let tlsEnv: Record<string, string>;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'temporal-tls-'));
  const { caPath, keyPath, certPath } = makeCertificates(dir);
  terminator = await startTlsTerminator(inject('temporalAddress'), keyPath, certPath);
  tlsEnv = { TEMPORAL_ADDRESS: terminator.address, TEMPORAL_TLS_SERVER_CA_CERT_PATH: caPath, TEMPORAL_TLS_SERVER_NAME: SERVER_NAME };
  h = await startHarness({ ...tlsEnv, EMAIL_RATE_PER_SECOND: '50' });
});
afterAll(async () => {
  await h?.close();
  await terminator?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('Temporal behind TLS', () => {
  it('runs an order from intake to PROVISIONED with the API and the worker connected over TLS', { timeout: 120_000 }, async () => {
    expect(h.config.temporal.connection.tls).toMatchObject({ serverNameOverride: SERVER_NAME });
    const services = ['messaging', 'meetings'] as const;
    const { wizard } = await orderInServiceSetup(h, [...services]);
    await saveAllSections(wizard, [...services], freshSubdomain('tls'));
    const provisioned = await wizard.step('provision', { confirm: true });
    expect(provisioned.statusCode, provisioned.body).toBe(200);
    await eventually(async () => ((await wizard.view()).json().status === 'PROVISIONED' ? true : undefined), { timeoutMs: 60_000 });
    // The client, the worker's native connection: every one of them through the terminator.
    expect(terminator.handshakes()).toBeGreaterThanOrEqual(2);
  });

  it('refuses a server whose certificate the configured CA did not sign', async () => {
    const config = loadConfig({ ...h.env, ...tlsEnv, TEMPORAL_TLS_SERVER_CA_CERT_PATH: '', TEMPORAL_TLS: 'true' });
    await expect(NativeConnection.connect(temporalConnectionOptions(config))).rejects.toThrow();
    const wrongName = loadConfig({ ...h.env, ...tlsEnv, TEMPORAL_TLS_SERVER_NAME: 'elsewhere.test' });
    await expect(NativeConnection.connect(temporalConnectionOptions(wrongName))).rejects.toThrow();
  });
});
