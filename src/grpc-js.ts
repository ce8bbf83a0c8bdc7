// Public entry `http2-async-context/grpc-js`: the explicit helper for @grpc/grpc-js clients.
export { grpcInterceptor } from './clients/grpc-js.js';
