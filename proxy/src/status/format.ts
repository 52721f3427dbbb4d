/** Numbers and times in words for the page and the summary lines (en, UTC: the page has no script to localise). */

export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** 0.001 -> `0.1%`, 0.25 -> `25%`, null -> `–`. */
export function percent(rate: number | null): string {
  if (rate === null) return '–';
  const p = rate * 100;
  if (p === 0 || p === 100) return `${p}%`;
  if (p < 0.1) return '<0.1%';
  if (p > 99.9 && p < 100) return '>99.9%';
  return `${p < 10 || p > 90 ? p.toFixed(1) : Math.round(p)}%`;
}

export function millis(ms: number | null): string {
  if (ms === null) return '–';
  if (ms >= 88_000) return '≥88 s';
  if (ms >= 10_000) return `${(ms / 1000).toFixed(0)} s`;
  if (ms >= 1_000) return `${(ms / 1000).toFixed(1)} s`;
  return ms >= 10 ? `${Math.round(ms)} ms` : `${ms.toFixed(1)} ms`;
}

/** `10:42 UTC` for today, else `2027-01-03 10:42 UTC`. */
export function when(iso: string | null, now: number): string {
  if (!iso) return '–';
  const t = new Date(iso);
  const time = `${t.toISOString().slice(11, 16)} UTC`;
  return t.toISOString().slice(0, 10) === new Date(now).toISOString().slice(0, 10) ? time : `${t.toISOString().slice(0, 10)} ${time}`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}
