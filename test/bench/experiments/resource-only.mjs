// Decomposition, not a candidate: the session wrapper and one `PendingRequest` resource per
// request (destroyed at once), and no binding at all. What the contract costs before any event.
import { connectWith } from './session.mjs';

export const connect = connectWith(() => false);
