/**
 * The path a request is routed on, read the way legacy servers read it, so that no spelling
 * of a migrated route's path (`/api/x/../enrollments`, `/api/%65nrollments`,
 * `/api/enrollments;jsessionid=1`) reaches the legacy API past the route's flag. Only the
 * routing uses it: the legacy API still receives the bytes the client sent.
 *
 * Servers do not all agree, so a path may have several readings:
 * - an encoded slash or backslash (`%2F`, `%5C`, and a raw `\`) is data to most servers, a
 *   separator to some (Apache with AllowEncodedSlashes, IIS, a decoding front server);
 * - `..` after an empty segment (`/a//../b`) is `/a/b` to RFC 3986 and Kestrel, `/b` to
 *   Tomcat and nginx, which merge slashes first.
 * What every reading does the same way: percent-encoded unreserved characters are decoded
 * (`%65` is `e`, `%2E` is `.`, RFC 3986 §6.2.2.2), other escapes only have their hex
 * upper-cased, `;parameters` are cut from each segment (Servlet containers, Spring), dot
 * segments are removed (§5.2.4) and empty segments dropped. Case is left alone: the
 * route patterns decide it.
 */

/** What any reading would change: an escape, a `;parameter`, a backslash, `//`, or a segment starting with a dot. */
const NEEDS_READING = /[%;\\]|\/[/.]/;

/**
 * The readings of a request path (no query). The path itself when it needs no reading at all:
 * no `%`, `;`, `\`, `//` or `/.`, which is nearly every request and costs one scan.
 */
export function pathReadings(pathname: string): string | string[] {
  if (!NEEDS_READING.test(pathname)) return pathname;
  const readings = new Set<string>();
  for (const separators of ENCODED_SEPARATOR.test(pathname) ? [false, true] : [false]) {
    readings.add(readPath(pathname, separators, false));
    readings.add(readPath(pathname, separators, true));
  }
  return [...readings];
}

/** A route declaration's literal segment in the form request paths are read into. */
export function normaliseSegment(segment: string): string {
  return segment.includes('%') ? segment.replace(ESCAPE, decodeUnreserved) : segment;
}

const ENCODED_SEPARATOR = /%2f|%5c|\\/i;
const ENCODED_SEPARATORS = /%2f|%5c|\\/gi;
const ESCAPE = /%([0-9a-f]{2})/gi;

function readPath(pathname: string, separators: boolean, mergeSlashesFirst: boolean): string {
  const source = separators ? pathname.replace(ENCODED_SEPARATORS, '/') : pathname;
  let segments = source.split('/').slice(1).map(readSegment);
  if (mergeSlashesFirst) segments = segments.filter((s) => s !== '');
  const out: string[] = [];
  for (const s of segments) {
    if (s === '.') continue;
    if (s === '..') out.pop();
    else out.push(s);
  }
  return `/${out.filter((s) => s !== '').join('/')}`;
}

function readSegment(raw: string): string {
  const semicolon = raw.indexOf(';');
  return normaliseSegment(semicolon === -1 ? raw : raw.slice(0, semicolon));
}

function decodeUnreserved(escape: string, hex: string): string {
  const c = parseInt(hex, 16);
  const unreserved =
    (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e || c === 0x5f || c === 0x7e;
  return unreserved ? String.fromCharCode(c) : escape.toUpperCase();
}
