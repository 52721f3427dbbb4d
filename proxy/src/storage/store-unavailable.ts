/**
 * The one error a store fault surfaces as: Redis refused, dropped or did not answer a call in
 * time. The pipeline answers it with 503 and Retry-After (the caller may simply try again),
 * never 500: nothing is wrong with the request or the proxy's code, and recovery needs no restart.
 */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}
