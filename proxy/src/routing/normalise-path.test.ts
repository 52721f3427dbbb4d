import { describe, expect, it } from 'vitest';
import { normaliseSegment, pathReadings } from './normalise-path.ts';

describe('how a request path is read for routing', () => {
  it('a plain path is its own only reading: the same string, nothing built', () => {
    for (const path of ['/', '/api/enrollments', '/API/Enrollments/', '/api/courses/c-101', '/a.b/c..d/e.']) {
      expect(pathReadings(path)).toBe(path);
    }
  });

  it('escaped unreserved characters are decoded, other escapes only upper-cased', () => {
    expect(pathReadings('/api/%65nrollments')).toEqual(['/api/enrollments']);
    expect(pathReadings('/%41%2d%2E%5f%7E%30')).toEqual(['/A-._~0']);
    expect(pathReadings('/a%20b/%c3%a9/%25/%zz')).toEqual(['/a%20b/%C3%A9/%25/%zz']);
    // Decoded once: %2565 is "%65" spelled out, not "e".
    expect(pathReadings('/api/%2565nrollments')).toEqual(['/api/%2565nrollments']);
  });

  it('dot segments, decoded ones too, are removed, never above the root; empty segments are dropped', () => {
    expect(pathReadings('/api/./enrollments')).toEqual(['/api/enrollments']);
    expect(pathReadings('/api/x/../enrollments')).toEqual(['/api/enrollments']);
    expect(pathReadings('/api/x/%2e%2E/enrollments')).toEqual(['/api/enrollments']);
    expect(pathReadings('/api/x/.%2e/enrollments/.')).toEqual(['/api/enrollments']);
    expect(pathReadings('/../../api')).toEqual(['/api']);
    expect(pathReadings('/api//enrollments//')).toEqual(['/api/enrollments']);
    expect(pathReadings('/.well-known/x')).toEqual(['/.well-known/x']);
  });

  it(';parameters are cut from every segment, as Servlet containers do', () => {
    expect(pathReadings('/api;a=1/enrollments;jsessionid=F00')).toEqual(['/api/enrollments']);
    expect(pathReadings('/api/;/enrollments')).toEqual(['/api/enrollments']);
    // An escaped semicolon is data.
    expect(pathReadings('/api/enrollments%3Bx')).toEqual(['/api/enrollments%3Bx']);
  });

  it('an encoded slash or a backslash: read as data, and as a separator', () => {
    expect(pathReadings('/api%2Fenrollments')).toEqual(['/api%2Fenrollments', '/api/enrollments']);
    expect(pathReadings('/api%5cx\\y')).toEqual(['/api%5Cx\\y', '/api/x/y']);
    expect(pathReadings('/a/b%2F..%2F..%2Fc')).toEqual(['/a/b%2F..%2F..%2Fc', '/c']);
  });

  it('".." after an empty segment: the RFC\'s reading, and the reading of servers that merge slashes first', () => {
    expect(pathReadings('/a/b//../c')).toEqual(['/a/b/c', '/a/c']);
    // The same either way: one reading.
    expect(pathReadings('/a//b/../c')).toEqual(['/a/c']);
  });

  it('route literals are normalised the same way', () => {
    expect(normaliseSegment('caf%c3%a9%7e')).toBe('caf%C3%A9~');
    expect(normaliseSegment('plain')).toBe('plain');
  });
});
