import type { Span } from '@opentelemetry/api';
import type { Tracing } from './provider.ts';

/**
 * A request's place in a trace, kept on its state record (edge/request-state.ts) while
 * tracing is on; absent otherwise, and every tracing step checks that first.
 */
export interface RequestTrace {
  tracing: Tracing;
  /** The proxy's server span: sampled or not, its ids are what the legacy API and the client see. */
  span: Span;
  traceId: string;
  spanId: string;
  /** W3C Trace Context Level 2 `traceresponse` value: `00-<trace id>-<span id>-<flags>`. */
  response: string;
}
