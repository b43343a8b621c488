/** `scheme://user:password@host…` or `scheme://token@host…`: a URL that carries credentials in its authority. */
const USERINFO = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#@]*@/;

/**
 * Whether a URL carries credentials. They would be written wherever the URL is (dead letters, logs, error
 * messages, `/readyz`), so sinks refuse them at load and take them from options that are never written out.
 */
export function hasCredentials(url: string): boolean {
  return USERINFO.test(url);
}
