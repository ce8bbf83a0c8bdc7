// A throwaway self-signed certificate for the doctor's loopback HTTP/2 server, made at run time so
// that the package ships no private key (secret scanners flag any PEM key in a tarball). It
// secures nothing: the server listens on 127.0.0.1 only, and only the doctor's own clients are
// told to trust it (`ca`). Node's crypto makes the key and the signature; the certificate itself
// is a few dozen bytes of DER, encoded here by hand rather than with openssl or a dependency.
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';

/** A DER tag-length-value: definite length, short form below 128 bytes, long form above. */
function der(tag: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  let length = [body.length];
  if (body.length >= 0x80) {
    const bytes: number[] = [];
    for (let n = body.length; n > 0; n >>= 8) bytes.unshift(n & 0xff);
    length = [0x80 | bytes.length, ...bytes];
  }
  return Buffer.concat([Buffer.from([tag, ...length]), body]);
}

const sequence = (...parts: Buffer[]) => der(0x30, ...parts);

/** An OBJECT IDENTIFIER: the first two arcs in one byte, then each arc in base 128. */
function oid(dotted: string): Buffer {
  const [first, second, ...rest] = dotted.split('.').map(Number);
  const bytes = [40 * first! + second!];
  for (const arc of rest) {
    const groups = [arc & 0x7f];
    for (let n = arc >> 7; n > 0; n >>= 7) groups.unshift(0x80 | (n & 0x7f));
    bytes.push(...groups);
  }
  return der(0x06, Buffer.from(bytes));
}

/** RFC 5280 wants UTCTime (YYMMDDHHMMSSZ) up to 2049 and GeneralizedTime (YYYY...) from 2050. */
function time(date: Date): Buffer {
  const digits = `${date.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
  return date.getUTCFullYear() < 2050 ? der(0x17, Buffer.from(digits.slice(2))) : der(0x18, Buffer.from(digits));
}

/** An Extension: its OID, critical only when flagged (DER omits the FALSE default), the value's DER. */
function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return sequence(oid(id), ...(critical ? [der(0x01, Buffer.from([0xff]))] : []), der(0x04, value));
}

const hour = 3_600_000;

/**
 * Makes a fresh P-256 key and a self-signed X.509 v3 certificate for `127.0.0.1` and `localhost`,
 * valid from an hour ago (clock skew) for three days, for a TLS server on the loopback interface.
 * A client trusts it by passing the certificate as `ca`.
 *
 * @returns The PKCS#8 private key and the certificate, both PEM.
 */
export function makeLoopbackCertificate(): { key: string; cert: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  // Positive (high bit clear) and minimal (first byte non-zero) as DER INTEGERs must be; random, as
  // every certificate of the same issuer name must have its own serial.
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x40;
  const ecdsaWithSha256 = sequence(oid('1.2.840.10045.4.3.2'));
  const name = sequence(der(0x31, sequence(oid('2.5.4.3'), der(0x0c, Buffer.from('127.0.0.1')))));
  const now = Date.now();
  const tbs = sequence(
    der(0xa0, der(0x02, Buffer.from([2]))), // v3: extensions need it, and rustls refuses v1 outright
    der(0x02, serial),
    ecdsaWithSha256,
    name, // issuer = subject: self-signed
    sequence(time(new Date(now - hour)), time(new Date(now + 72 * hour))),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    der(
      0xa3,
      sequence(
        // basicConstraints CA:FALSE, an empty SEQUENCE in DER. An end-entity certificate: rustls
        // (Deno's own TLS) refuses a CA certificate as the server's ("CaUsedAsEndEntity").
        extension('2.5.29.19', true, sequence()),
        // keyUsage digitalSignature (bit 0; 7 unused bits): all an ECDSA key does in TLS 1.2/1.3. Not
        // keyCertSign: it signs no other certificate, and OpenSSL and BoringSSL trust it without.
        extension('2.5.29.15', true, der(0x03, Buffer.from([0x07, 0x80]))),
        // extendedKeyUsage serverAuth: a TLS server's certificate, for verifiers that check the purpose.
        extension('2.5.29.37', false, sequence(oid('1.3.6.1.5.5.7.3.1'))),
        // subjectAltName IP 127.0.0.1 and DNS localhost: clients match the host against these (Node
        // matches an IP only against IP entries, rustls ignores the CN), so both origins work.
        extension(
          '2.5.29.17',
          false,
          sequence(der(0x87, Buffer.from([127, 0, 0, 1])), der(0x82, Buffer.from('localhost'))),
        ),
      ),
    ),
  );
  // crypto.sign gives ECDSA's DER (r, s) SEQUENCE, which is what the BIT STRING holds (0 unused bits).
  const certificate = sequence(tbs, ecdsaWithSha256, der(0x03, Buffer.from([0]), sign('sha256', tbs, privateKey)));
  const lines = certificate
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n');
  return {
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    cert: `-----BEGIN CERTIFICATE-----\n${lines}\n-----END CERTIFICATE-----\n`,
  };
}

let made: { key: string; cert: string } | undefined;

/** The certificate this process's doctor serves, made on first use. */
export function loopbackTls(): { key: string; cert: string } {
  made ??= makeLoopbackCertificate();
  return made;
}
