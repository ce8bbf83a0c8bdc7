export { connect } from './connect.js';
export {
  patchClients, supportedClients, unpatchClients, type PatchedClient, type SupportedClient,
} from './integrations/load-hook.js';
export { patchHttp2, unpatchHttp2 } from './patch.js';
export { patchStatus, type PatchStatus } from './status.js';
export { wrapSession } from './wrap-session.js';
