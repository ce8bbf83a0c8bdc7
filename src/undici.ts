// Public entry `http2-async-context/undici`: the explicit helpers for undici dispatchers.
export { scopeUndiciHandler, undiciInterceptor } from './clients/undici.js';
