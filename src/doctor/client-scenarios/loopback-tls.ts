// A self-signed certificate for 127.0.0.1 (CN and IP SAN 127.0.0.1, DNS SAN localhost), valid until
// 2126, and its key: what the doctor's loopback server presents so that clients which speak HTTP/2
// only over TLS (http2-wrapper, got, undici) can be measured. It secures nothing: the server
// listens on 127.0.0.1 only, and only the doctor's own clients are told to trust it (`ca`).
// The same pair as test/fixtures/{key,cert}.pem.

export const loopbackTls = {
  key: `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgTchCscfm3rSGslaQ
+CM9JqwBFVVwx1jnU/udCaqklHmhRANCAASHCscJ2u0opyQWbF3o1/JUDZlIwrBJ
oMtTXKXxC5gAx9nWZWLrzSO0mmKzKmCWjij5J9E4YaJJCLZUyMq3oSxy
-----END PRIVATE KEY-----
`,
  cert: `-----BEGIN CERTIFICATE-----
MIIBmjCCAUGgAwIBAgIUINNmfui3PuZ1ku2jLZ6shHXsVtAwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJMTI3LjAuMC4xMCAXDTI2MTEyMjAwNDIwOFoYDzIxMjYxMDI5
MDA0MjA4WjAUMRIwEAYDVQQDDAkxMjcuMC4wLjEwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAASHCscJ2u0opyQWbF3o1/JUDZlIwrBJoMtTXKXxC5gAx9nWZWLrzSO0
mmKzKmCWjij5J9E4YaJJCLZUyMq3oSxyo28wbTAdBgNVHQ4EFgQUJ2GgCbUOCm64
uourCYGrvSCRF8AwHwYDVR0jBBgwFoAUJ2GgCbUOCm64uourCYGrvSCRF8AwDwYD
VR0TAQH/BAUwAwEB/zAaBgNVHREEEzARhwR/AAABgglsb2NhbGhvc3QwCgYIKoZI
zj0EAwIDRwAwRAIgcLacAZFDUbHPGlM60FMdBnxVhybP5sbD7ZFe/2QxarMCID/R
KGZODdBwz0vXJpzyLOM5lp8m/Eb6TTlxeBz+xSQu
-----END CERTIFICATE-----
`,
};
