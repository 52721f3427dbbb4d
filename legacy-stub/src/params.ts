import type { Request } from 'express';
import { legacyErrors } from './legacy-error.ts';

/** A query parameter as one string; repeated parameters count as the first. */
export function queryString(req: Request, name: string): string | undefined {
  const value = req.query[name];
  if (Array.isArray(value)) return typeof value[0] === 'string' ? value[0] : undefined;
  return typeof value === 'string' ? value : undefined;
}

export function requiredQuery(req: Request, name: string): string {
  const value = queryString(req, name);
  if (value === undefined || value === '') throw legacyErrors.badRequest(`Query parameter "${name}" is required.`);
  return value;
}

/** A non-negative integer query parameter within bounds, or the default when absent. */
export function intQuery(req: Request, name: string, bounds: { min: number; max: number; fallback: number }): number {
  const raw = queryString(req, name);
  if (raw === undefined || raw === '') return bounds.fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < bounds.min || value > bounds.max)
    throw legacyErrors.badRequest(`Query parameter "${name}" must be an integer from ${bounds.min} to ${bounds.max}.`);
  return value;
}
