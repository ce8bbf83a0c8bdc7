// Public entry `http2-async-context/undici`: the explicit helpers for undici dispatchers.
export { composeInScope, scopeUndiciHandler, undiciInterceptor } from './integrations/undici-scope.js';
