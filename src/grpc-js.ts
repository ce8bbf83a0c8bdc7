// Public entry `http2-async-context/grpc-js`: the explicit helpers for @grpc/grpc-js clients.
export { grpcInterceptor, withGrpcScope } from './integrations/grpc-js-scope.js';
