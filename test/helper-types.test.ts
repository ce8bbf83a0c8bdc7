// The explicit helpers type-check where users put them, in typed lists of the libraries' own
// interceptor types (checked by `npm run typecheck`, which covers test/), and are the functions
// the runtime entries export.
import type { Interceptor } from '@grpc/grpc-js';
import { grpcInterceptor, withGrpcScope } from 'http2-async-context/grpc-js';
import { composeInScope, undiciInterceptor } from 'http2-async-context/undici';
import type { Dispatcher } from 'undici';
import { describe, expect, it } from 'vitest';

const logging: Interceptor = (options, nextCall) => nextCall(options) as ReturnType<Interceptor>;
const grpcList: Interceptor[] = [logging, grpcInterceptor];
const grpcScoped: Interceptor[] = withGrpcScope([logging]);

const passing: Dispatcher.DispatcherComposeInterceptor = (dispatch) => dispatch;
const undiciList: Dispatcher.DispatcherComposeInterceptor[] = [passing, undiciInterceptor];
const undiciScoped: Dispatcher.DispatcherComposeInterceptor[] = composeInScope([passing]);

describe("the explicit helpers' types", () => {
  it('fit typed interceptor lists, and withGrpcScope/composeInScope put ours around every one', () => {
    expect(grpcList).toHaveLength(2);
    // Each of ours in a list knows its place (a function of its own), and is recognised as ours.
    expect(grpcScoped.map(({ name }) => name)).toEqual(['grpcInterceptor', 'logging', 'grpcInterceptor']);
    expect(grpcScoped[0]).toBe(grpcInterceptor);
    expect(withGrpcScope(grpcScoped)).toEqual(grpcScoped);
    expect(undiciList).toHaveLength(2);
    expect(undiciScoped.map(({ name }) => name)).toEqual(['undiciInterceptor', 'passing', 'undiciInterceptor']);
    expect(composeInScope(undiciScoped).map(({ name }) => name)).toEqual([
      'undiciInterceptor',
      'passing',
      'undiciInterceptor',
    ]);
  });
});
