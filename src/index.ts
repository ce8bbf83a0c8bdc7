export { connect } from './connect.js';
export { patchHttp2, unpatchHttp2 } from './patch.js';
export { patchClients, supportedClients, unpatchClients, type PatchedClient, type SupportedClient } from './clients/hook.js';
export { wrapSession } from './wrap-session.js';
