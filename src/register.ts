// Preload entry: `node --import http2-async-context/register`, `node -r …`, `bun --preload …`,
// `deno run --preload …`. It patches node:http2 and the client libraries (grpc-js, http2-wrapper,
// undici) for the whole process, and does nothing else.
import { patchClients } from './integrations/load-hook.js';
import { patchHttp2 } from './patch.js';

patchHttp2();
patchClients();
