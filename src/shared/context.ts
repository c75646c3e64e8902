import { AsyncLocalStorage } from 'node:async_hooks';

/** Per-request (or per-message) context carried through async calls, read by the logger. */
export interface RequestContext {
  requestId: string;
  userId?: string;
}

export const requestContext = new AsyncLocalStorage<RequestContext>();

export function currentContext(): RequestContext | undefined {
  return requestContext.getStore();
}
