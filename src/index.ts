export { connect } from './connect.js';
export { patchClients, unpatchClients } from './integrations/load-hook.js';
export {
  type PatchedClient,
  type SupportedClient,
  supportedClients,
  type UnsupportedClient,
} from './integrations/registry.js';
export { patchHttp2, unpatchHttp2 } from './patch.js';
export { type PatchStatus, patchStatus } from './status.js';
export { wrapSession } from './wrap-session.js';
