// Decomposition: the package's own stream binding (dist/), on the experiments' plain session
// wrapper (session.mjs). The package minus this is what its session wrapper costs per request.
import { bindStreamToScope } from '../../../dist/esm/bind-stream.js';
import { connectWith } from './session.mjs';

export const connect = connectWith(bindStreamToScope);
