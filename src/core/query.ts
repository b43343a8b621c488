/**
 * The query parameters of a URL (absolute, or a path with its query); none when there is no URL or no query. A
 * fragment is not part of the query. Used wherever a signature or a handshake reads the query: the pipeline, the
 * HTTP edge and the inspector's diagnosis.
 */
export function queryOf(url: string | undefined): URLSearchParams {
  const mark = url?.indexOf("?") ?? -1;
  if (url === undefined || mark === -1) return new URLSearchParams();
  const hash = url.indexOf("#", mark);
  return new URLSearchParams(url.slice(mark + 1, hash === -1 ? undefined : hash));
}
