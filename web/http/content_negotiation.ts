/** Whether the client asked for HTML (a browser navigating) rather than JSON. */
export function wantsHtml(accept: string | undefined): boolean {
  return /(^|,)\s*text\/html\s*(;|,|$)/i.test(accept ?? "");
}
