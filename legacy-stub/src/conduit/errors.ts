import type { ErrorRequestHandler, Response } from 'express';

/**
 * Conduit's error shape: `{errors: {field: [messages]}}`, `body` when no field is to blame.
 * No WWW-Authenticate on a 401, as the reference implementations send none.
 */
export class ConduitError extends Error {
  constructor(
    readonly status: number,
    readonly errors: Record<string, string[]>,
  ) {
    super(Object.entries(errors).map(([field, messages]) => `${field} ${messages.join(', ')}`).join('; '));
    this.name = 'ConduitError';
  }
}

export const conduitErrors = {
  unauthorized: () => new ConduitError(401, { body: ['unauthorized'] }),
  notFound: (what: string) => new ConduitError(404, { [what]: ['not found'] }),
  invalid: (field: string, message: string) => new ConduitError(422, { [field]: [message] }),
};

export function sendConduitError(res: Response, status: number, errors: Record<string, string[]>): void {
  res.status(status).json({ errors });
}

export const conduitErrorHandler: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (err instanceof ConduitError) {
    sendConduitError(res, err.status, err.errors);
    return;
  }
  // body-parser errors carry a 4xx status and a type such as 'entity.parse.failed'.
  const { status, type, message } = (err ?? {}) as { status?: number; type?: string; message?: string };
  if (type === 'entity.parse.failed') {
    sendConduitError(res, 422, { body: ['is not valid JSON'] });
    return;
  }
  if (typeof status === 'number' && status >= 400 && status < 500) {
    sendConduitError(res, status, { body: [message ?? 'the request was not understood'] });
    return;
  }
  process.stderr.write(`conduit-stub: unhandled error: ${message ?? String(err)}\n`);
  sendConduitError(res, 500, { body: ['something went wrong'] });
};
