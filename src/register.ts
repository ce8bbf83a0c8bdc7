// Preload entry: `node --import http2-async-context/register`, `node -r …`, `bun --preload …`,
// `deno run --preload …`. It patches node:http2 for the whole process, and does nothing else.
import { patchHttp2 } from './patch.js';

patchHttp2();
