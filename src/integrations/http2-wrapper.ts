import { AsyncResource } from 'node:async_hooks';
import type { ClientHttp2Stream } from 'node:http2';
import { rebindStreamScope } from '../bind-stream.js';
import { kScopedAgent } from '../symbols.js';
import type { Integration } from './integration.js';
import { replaceMethods, restoreMethods } from './method-slots.js';
import { sharedClientState, takeHanding } from './shared-state.js';

type AgentRequest = (this: unknown, ...args: unknown[]) => Promise<ClientHttp2Stream>;

/**
 * Runs `request` (http2-wrapper's `Agent#request`, which resolves with the stream once a session
 * takes it from the agent's queue) with a scope captured now, in the caller's context, and makes
 * that the stream's scope: the stream was opened later, from the agent's own callbacks. While it
 * runs, `request` alone may join this request as its hop (a wrapper of ours beneath, the other of
 * register and the explicit helper); any other request started meanwhile (from a custom
 * `createConnection`, say) is a request of its own.
 */
function requestInScope(request: AgentRequest, agent: unknown, args: unknown[]): Promise<ClientHttp2Stream> {
  const scope = new AsyncResource('Http2WrapperRequest');
  const shared = sharedClientState();
  const outer = shared.agentHandingOn;
  shared.agentHandingOn = { next: request, scope };
  let pending: Promise<ClientHttp2Stream>;
  try {
    pending = Reflect.apply(request, agent, args);
  } catch (error) {
    scope.emitDestroy();
    throw error;
  } finally {
    shared.agentHandingOn = outer;
  }
  return pending.then(
    (stream) => {
      if (!rebindStreamScope(stream, scope)) scope.emitDestroy();
      return stream;
    },
    (error: unknown) => {
      scope.emitDestroy();
      throw error;
    },
  );
}

/**
 * True when `hop` is the one request of ours that a request of ours above it is handing to. Each
 * hop is a method, as `Agent#request` is, so that the function installed is the hop itself.
 */
const handedTo = (hop: unknown) => takeHanding(sharedClientState().agentHandingOn, hop) !== undefined;

/**
 * Makes an http2-wrapper `Agent` (or got's `agent.http2`) run every event of its requests (the
 * response callback, `response`, `data`, `end`, `error`, `close`) in the context where each
 * request was made, also when it was queued while the agent connected or after a GOAWAY.
 * Returns `agent`. Under `register` it steps aside, since register already scopes every agent.
 *
 * @example
 * ```ts
 * import http2wrapper from 'http2-wrapper';
 * import { scopeHttp2WrapperAgent } from 'http2-async-context/http2-wrapper';
 * const agent = scopeHttp2WrapperAgent(new http2wrapper.Agent());
 * await got('https://localhost:8443', { http2: true, agent: { http2: agent } });
 * ```
 */
export function scopeHttp2WrapperAgent<Agent extends object>(agent: Agent): Agent {
  const target = agent as Record<string | symbol, unknown>;
  if (typeof target.request !== 'function' || target[kScopedAgent]) return agent;
  Object.defineProperty(target, kScopedAgent, { value: true });
  replaceMethods(target, ['request'], (_, below) => {
    const hop = {
      request(this: unknown) {
        if (handedTo(hop.request)) return Reflect.apply(below(), this, arguments);
        return requestInScope(below() as AgentRequest, this, Array.from(arguments));
      },
    };
    return hop.request;
  });
  return agent;
}

function agentPrototypeOf(exports: unknown): Record<string, unknown> | undefined {
  const prototype = (exports as { Agent?: { prototype?: Record<string, unknown> } }).Agent?.prototype;
  return typeof prototype?.request === 'function' ? prototype : undefined;
}

/**
 * Register's `Agent.prototype.request` on the copy whose exports (its main entry's, or
 * `source/agent.js`'s: both have `Agent`) these are; false if they have no such `Agent`.
 */
function patchAgent(exports: unknown): boolean {
  const prototype = agentPrototypeOf(exports);
  if (prototype === undefined) return false;
  replaceMethods(prototype, ['request'], (_, below) => {
    const hop = {
      request(this: unknown) {
        if (!sharedClientState().clientsPatched || handedTo(hop.request))
          return Reflect.apply(below(), this, arguments);
        return requestInScope(below() as AgentRequest, this, Array.from(arguments));
      },
    };
    return hop.request;
  });
  return true;
}

function unpatchAgent(exports: unknown): boolean {
  const prototype = agentPrototypeOf(exports);
  return prototype !== undefined && restoreMethods(prototype);
}

/** The file that defines `Agent` in http2-wrapper 2.x, below the package folder. */
const agentFile = 'source/agent.js';

/** Register wraps `Agent.prototype.request`, which every agent (got's too) issues requests through. */
export const http2WrapperIntegration: Integration = {
  name: 'http2-wrapper',
  entry: 'source/index.js',
  versions: '>=2.0.0 <3.0.0',
  patch: patchAgent,
  unpatch: unpatchAgent,
  patchFile: (file, exports) => file === agentFile && patchAgent(exports),
  unpatchFile: (file, exports) => file === agentFile && unpatchAgent(exports),
};
