export { connect } from './connect.js';
export {
  type PatchedClient,
  patchClients,
  type SupportedClient,
  supportedClients,
  unpatchClients,
} from './integrations/load-hook.js';
export { patchHttp2, unpatchHttp2 } from './patch.js';
export { type PatchStatus, patchStatus } from './status.js';
export { wrapSession } from './wrap-session.js';
