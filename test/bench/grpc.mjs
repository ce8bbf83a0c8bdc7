// The gRPC side of the bench: a grpc-js client of the bench server's hand-framed unary method
// (no .proto files: Buffer in, Buffer out), and the loop that calls it. grpc-js is loaded with
// require(), as most programs load it, so that `register` (its Module._load hook) sees the load.
import { AsyncLocalStorage } from 'node:async_hooks';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const als = new AsyncLocalStorage();
const identity = (buffer) => buffer;
/** The path server.mjs answers: `/<service>/<method>`. */
export const grpcUnaryPath = '/bench.Echo/Unary';

/** A grpc-js client of the bench server at `origin`, resolved once its channel is ready. */
export async function openGrpcClient(origin) {
  const grpc = require('@grpc/grpc-js');
  const Echo = grpc.makeGenericClientConstructor(
    {
      Unary: {
        path: grpcUnaryPath,
        requestStream: false,
        responseStream: false,
        originalName: 'Unary',
        requestSerialize: identity,
        requestDeserialize: identity,
        responseSerialize: identity,
        responseDeserialize: identity,
      },
    },
    'Echo',
  );
  // A subchannel of its own: grpc-js otherwise shares one process-wide by address.
  const client = new Echo(new URL(origin).host, grpc.credentials.createInsecure(), {
    'grpc.use_local_subchannel_pool': 1,
  });
  await new Promise((resolve, reject) =>
    client.waitForReady(Date.now() + 10_000, (error) => (error ? reject(error) : resolve())),
  );
  return { client, close: async () => client.close() };
}

const payload = Buffer.alloc(1024, 'q');

/**
 * `total` unary calls, `concurrency` in flight, each started inside `als.run(store, ...)`; the
 * callback and the call's `status` event compare the store with their own (`wrong` counts those
 * that saw another).
 */
export function grpcUnaryLoop({ client }, total, concurrency) {
  return () =>
    new Promise((resolve, reject) => {
      let started = 0;
      let finished = 0;
      let wrong = 0;
      const start = (store) => {
        const call = client.Unary(payload, (error) => {
          if (error) return reject(error);
          if (als.getStore() !== store) wrong++;
          if (++finished === total) resolve({ wrong });
          else if (started < total) issue();
        });
        call.on('status', () => {
          if (als.getStore() !== store) wrong++;
        });
      };
      const issue = () => {
        const store = { id: started++ };
        als.run(store, start, store);
      };
      for (let i = 0; i < concurrency && started < total; i++) issue();
    });
}
