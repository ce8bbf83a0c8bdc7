export { connect } from './connect.js';
export { wrapSession } from './wrap-session.js';
