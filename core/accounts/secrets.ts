/** Random secrets (session ids, CSRF and API tokens, the setup token) and the digests stored for them. */

function toBase64Url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** 32 random bytes (256 bits), base64url: unguessable, safe in cookies, headers and URLs. */
export function randomSecret(prefix = ""): string {
  return prefix + toBase64Url(crypto.getRandomValues(new Uint8Array(32)));
}

/**
 * SHA-256 of `secret`, hex. Enough for 256-bit random secrets (no salt or slow KDF needed: they cannot be
 * guessed), and it means a copy of the database does not hold a single usable session or token.
 */
export async function digestSecret(secret: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(secret));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
}
