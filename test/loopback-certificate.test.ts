import { createPrivateKey, X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { makeLoopbackCertificate } from '../dist/esm/doctor/loopback-certificate.js';

describe('makeLoopbackCertificate', () => {
  const { key, cert } = makeLoopbackCertificate();
  let server: http2.Http2SecureServer;
  let port: number;
  const sessions: http2.ClientHttp2Session[] = [];

  beforeAll(async () => {
    server = http2.createSecureServer({ key, cert }, (_request, response) => response.end('ok'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    for (const session of sessions) session.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it.each(['127.0.0.1', 'localhost'])(
    'serves HTTP/2 over TLS that a client trusting it as `ca` accepts for https://%s',
    async (host) => {
      const session = http2.connect(`https://${host}:${port}`, { ca: cert });
      sessions.push(session);
      let sessionError: Error | undefined;
      session.on('error', (error: Error) => {
        sessionError = error;
      });
      const stream = session.request({ ':path': '/' });
      stream.setEncoding('utf8');
      let body = '';
      stream.on('data', (chunk: string) => {
        body += chunk;
      });
      // A refused certificate fails the session, which cancels the stream: report the session's reason.
      const [headers] = (await once(stream, 'response').catch((error: unknown) => {
        throw sessionError ?? error;
      })) as [http2.IncomingHttpHeaders];
      await once(stream, 'end');
      expect([headers[':status'], body, sessionError]).toEqual([200, 'ok', undefined]);
    },
  );

  it('is self-signed for CN 127.0.0.1, with SANs IP 127.0.0.1 and DNS localhost, from an hour ago for three days', () => {
    const x509 = new X509Certificate(cert);
    expect([x509.subject, x509.issuer]).toEqual(['CN=127.0.0.1', 'CN=127.0.0.1']);
    expect(x509.subjectAltName).toBe('IP Address:127.0.0.1, DNS:localhost');
    expect(x509.verify(x509.publicKey)).toBe(true);
    expect(x509.ca).toBe(false);
    const hour = 3_600_000;
    // The validity is in whole seconds, and the certificate was made when the file was collected.
    expect(Math.abs(Date.parse(x509.validFrom) - (Date.now() - hour))).toBeLessThan(20_000);
    expect(Date.parse(x509.validTo) - Date.parse(x509.validFrom)).toBe(73 * hour);
    expect(x509.checkHost('localhost')).toBe('localhost');
    expect(x509.checkIP('127.0.0.1')).toBe('127.0.0.1');
  });

  it('comes with its own private key, a P-256 key in PKCS#8', () => {
    const privateKey = createPrivateKey(key);
    expect(key).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect([privateKey.asymmetricKeyType, privateKey.asymmetricKeyDetails?.namedCurve]).toEqual(['ec', 'prime256v1']);
    expect(new X509Certificate(cert).checkPrivateKey(privateKey)).toBe(true);
  });

  it('makes a fresh key, and serial, on every call', () => {
    const other = makeLoopbackCertificate();
    expect(other.key).not.toBe(key);
    expect(new X509Certificate(other.cert).serialNumber).not.toBe(new X509Certificate(cert).serialNumber);
    expect(new X509Certificate(cert).checkPrivateKey(createPrivateKey(other.key))).toBe(false);
  });

  it('writes a validity that crosses 2050 as UTCTime then GeneralizedTime, as RFC 5280 wants', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(new Date('2049-12-30T12:00:00Z'));
      const x509 = new X509Certificate(makeLoopbackCertificate().cert);
      expect([x509.validFrom, x509.validTo]).toEqual(['Dec 30 11:00:00 2049 GMT', 'Jan  2 12:00:00 2050 GMT']);
      const der = x509.raw.toString('hex');
      expect(der).toContain(Buffer.from('491230110000Z').toString('hex')); // UTCTime
      expect(der).toContain(Buffer.from('20500102120000Z').toString('hex')); // GeneralizedTime
    } finally {
      vi.useRealTimers();
    }
  });
});
