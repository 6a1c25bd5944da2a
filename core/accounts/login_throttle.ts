/**
 * Login rate limit: after {@link LoginThrottleOptions.maxFailures} wrong passwords for one name from one
 * address within the window, further attempts for that pair are refused (429) until the window passes;
 * a success clears the count. Kept in memory: right for the one web process of the embedded default
 * (a restart forgets the counts, which costs an attacker a restart they cannot cause). Several web
 * processes behind a balancer would each count separately: move this into the database then.
 */

/** Settings of {@link LoginThrottle}. */
export interface LoginThrottleOptions {
  maxFailures?: number;
  windowMs?: number;
  /** Most pairs remembered; the oldest are forgotten first (bounds memory under a spray of names). */
  maxKeys?: number;
  now?: () => number;
}

/** Counts failed logins per name and address. */
export class LoginThrottle {
  readonly maxFailures: number;
  readonly windowMs: number;
  readonly #maxKeys: number;
  readonly #now: () => number;
  readonly #failures = new Map<string, { count: number; since: number }>();

  constructor(options: LoginThrottleOptions = {}) {
    this.maxFailures = options.maxFailures ?? 5;
    this.windowMs = options.windowMs ?? 15 * 60_000;
    this.#maxKeys = options.maxKeys ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  static #key(name: string, address: string): string {
    return `${name.toLowerCase()}\n${address}`;
  }

  /** Seconds to wait before `name` may try again from `address`, or 0 when it may try now. */
  retryAfter(name: string, address: string): number {
    const key = LoginThrottle.#key(name, address);
    const entry = this.#failures.get(key);
    if (!entry) return 0;
    const left = entry.since + this.windowMs - this.#now();
    if (left <= 0) {
      this.#failures.delete(key);
      return 0;
    }
    return entry.count >= this.maxFailures ? Math.ceil(left / 1000) : 0;
  }

  /** Records a wrong password. */
  failed(name: string, address: string): void {
    const key = LoginThrottle.#key(name, address);
    const entry = this.#failures.get(key);
    if (entry && entry.since + this.windowMs > this.#now()) {
      entry.count++;
      return;
    }
    this.#failures.delete(key);
    if (this.#failures.size >= this.#maxKeys) {
      this.#failures.delete(this.#failures.keys().next().value!);
    }
    this.#failures.set(key, { count: 1, since: this.#now() });
  }

  /** Records a successful login: the count starts again. */
  succeeded(name: string, address: string): void {
    this.#failures.delete(LoginThrottle.#key(name, address));
  }
}
