// Public entry `http2-async-context/http2-wrapper`: the explicit helper for http2-wrapper (and got).
export { scopeHttp2WrapperAgent } from './integrations/http2-wrapper.js';
