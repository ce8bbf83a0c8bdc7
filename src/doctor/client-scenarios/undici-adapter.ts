import { type ClientAdapter, type ClientTarget, member, type OpenedClient } from './adapter.js';
import type { RequestProbe } from './callback-log.js';

type Handler = Record<string, (...args: unknown[]) => unknown>;
interface Dispatcher {
  dispatch(options: object, handler: Handler): boolean;
}
interface UndiciClient extends Dispatcher {
  /** Since undici 6.9.0. */
  compose?: (...interceptors: unknown[]) => Dispatcher;
  destroy(): Promise<void>;
}
type ClientConstructor = new (origin: string, options: object) => UndiciClient;

const legacyCallbacks = ['onConnect', 'onHeaders', 'onData', 'onComplete', 'onError?'];
const controllerCallbacks = [
  'onRequestStart',
  'onResponseStart',
  'onResponseData',
  'onResponseEnd',
  'onResponseError?',
];

/**
 * A handler whose every method records itself; `true` keeps a legacy response flowing.
 * `settle` runs when the request has finished (`onComplete`/`onResponseEnd`) or failed.
 */
function recordingHandler(probe: RequestProbe, callbacks: readonly string[], settle: () => void): Handler {
  const handler: Handler = {};
  for (const spec of callbacks) {
    const name = spec.replace(/\?$/, '');
    const finishes = /^on(Complete|Error|ResponseEnd|ResponseError)$/.test(name);
    handler[name] = probe.wrap(name, () => {
      if (finishes) settle();
      return true;
    });
  }
  return handler;
}

/** An export of undici's module object (CommonJS exports, or an ES namespace's `default`). */
const exported = (undici: unknown, name: string): unknown =>
  (undici as Record<string, unknown> | undefined)?.[name] ??
  (undici as { default?: Record<string, unknown> } | undefined)?.default?.[name];

/**
 * undici `Client` with `allowH2: true` (tested 6.0.0, 7.30 and 8.0–8.14), given its module object:
 * `dispatch()` of `GET /hello` with a legacy handler (undici 6 and 7) and a controller handler
 * (undici 7 and 8).
 *
 * @example
 * ```ts
 * import * as undici from 'undici';
 * const run = await runClientScenarios(undiciAdapter(undici), { tls: { key, cert } });
 * ```
 */
export function undiciAdapter(undici: unknown): ClientAdapter {
  const Client = member<ClientConstructor>(undici, 'Client', 'undici');
  // Bun 1.4 answers the bare name `undici` with a built-in stub whose Client cannot dispatch; the
  // package itself loads by its file path.
  if (typeof Client.prototype.dispatch !== 'function') {
    throw new TypeError(
      "undici: this Client has no dispatch() (Bun's built-in undici? load the package by its file path)",
    );
  }
  // The controller handler API (onRequestStart, …) and cacheStores both arrived in undici 7.0.0;
  // no 6.x exports cacheStores (checked up to 6.29.1). undici 8.0.0 stopped calling a legacy
  // handler's callbacks, and exports Dispatcher1Wrapper for code that still has one.
  const controllerApi = exported(undici, 'cacheStores') !== undefined;
  const legacyApi = exported(undici, 'Dispatcher1Wrapper') === undefined;
  const composes = typeof (Client.prototype as UndiciClient).compose === 'function';
  return {
    client: 'undici',
    h2c: false,
    kinds: [
      ...(legacyApi ? [{ name: 'legacy', callbacks: legacyCallbacks }] : []),
      ...(controllerApi ? [{ name: 'controller', callbacks: controllerCallbacks }] : []),
    ],
    phases: ['cold', 'warm', 'after GOAWAY'],
    helperHooks: composes ? ['undiciInterceptors'] : [],
    open(target: ClientTarget): OpenedClient {
      const client = new Client(target.origin, { allowH2: true, connect: { ca: target.ca } });
      const interceptors = target.helpers.undiciInterceptors;
      const dispatcher = interceptors && client.compose ? client.compose(...interceptors) : client;
      return {
        start: (kind, probe) =>
          new Promise<void>((resolve) => {
            const handler = recordingHandler(probe, kind === 'legacy' ? legacyCallbacks : controllerCallbacks, resolve);
            dispatcher.dispatch({ path: '/hello', method: 'GET' }, handler);
          }),
        close: () => client.destroy(),
      };
    },
  };
}
