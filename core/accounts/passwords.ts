/**
 * Password hashing with PBKDF2-SHA256 from Web Crypto (no dependency, same code under Deno and Node).
 * 600,000 iterations is OWASP's 2023 figure for PBKDF2-SHA256; one hash takes about 100 ms on this
 * project's 2-core machine, which is what slows a guesser down and what a person logging in never notices.
 * The stored string carries its own iteration count, so the cost can be raised later without a migration.
 */

/** Iterations for new hashes. */
export const PBKDF2_ITERATIONS = 600_000;
/** Shortest password accepted for a new account. */
export const MIN_PASSWORD_LENGTH = 12;
/** Longest password accepted (PBKDF2 hashes long inputs fine; this only bounds the work per request). */
export const MAX_PASSWORD_LENGTH = 1024;

const PREFIX = "pbkdf2-sha256";

function toBase64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (char) => char.charCodeAt(0));
}

async function derive(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(password),
    "PBKDF2",
    false,
    ["deriveBits"],
  );
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt: salt as BufferSource, iterations },
    key,
    256,
  );
  return new Uint8Array(bits);
}

/** Compares two byte arrays in time that depends only on their length. */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let index = 0; index < a.length; index++) difference |= a[index] ^ b[index];
  return difference === 0;
}

/** Compares two strings without an early exit on the first differing character. */
export function timingSafeEqualText(a: string, b: string): boolean {
  const encoder = new TextEncoder();
  return timingSafeEqual(encoder.encode(a), encoder.encode(b));
}

/** Hashes `password` with a fresh 16-byte salt; returns the self-describing stored form. */
export async function hashPassword(password: string, iterations = PBKDF2_ITERATIONS): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const hash = await derive(password, salt, iterations);
  return `${PREFIX}$${iterations}$${toBase64(salt)}$${toBase64(hash)}`;
}

/** Whether `password` matches `stored` (a {@link hashPassword} result); false for a malformed `stored`. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [prefix, iterationText, saltText, hashText] = stored.split("$");
  const iterations = Number(iterationText);
  if (prefix !== PREFIX || !Number.isInteger(iterations) || iterations < 1 || !saltText || !hashText) {
    return false;
  }
  const expected = fromBase64(hashText);
  const actual = await derive(password, fromBase64(saltText), iterations);
  return timingSafeEqual(actual, expected);
}

let dummy: Promise<string> | undefined;

/**
 * Spends the same time as checking a real password, for a name that has no account: answers then take
 * as long whether or not the name exists, so timing does not tell an attacker which names are real.
 */
export async function verifyAgainstNothing(password: string): Promise<false> {
  dummy ??= hashPassword("no account has this password");
  await verifyPassword(password, await dummy);
  return false;
}

/** Why `password` cannot be used for a new account, or null when it can. */
export function passwordProblem(password: string): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) {
    return `the password must have at least ${MIN_PASSWORD_LENGTH} characters`;
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    return `the password must have at most ${MAX_PASSWORD_LENGTH} characters`;
  }
  return null;
}
