/** What an operation may know about the request that reached it: never the raw HTTP request. */
export interface RequestContext {
  region: string;
  accountId: string;
  /** Base URL the client used (`http://host:port`); services build resource URLs from it. */
  endpoint: string;
  requestId: string;
}

/** Injected so tests can move time and persistence can replay it; models never read Date.now(). */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
