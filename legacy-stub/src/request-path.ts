/** The path of a raw request target, without the query; copes with absolute-form targets. */
export function requestPath(rawUrl: string | undefined): string {
  const url = rawUrl ?? '/';
  if (url.startsWith('/')) {
    const query = url.indexOf('?');
    return query === -1 ? url : url.slice(0, query);
  }
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}
