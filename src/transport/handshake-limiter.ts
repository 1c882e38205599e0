// How many SSH handshakes are under way at once, and when a handshake that failed is tried again.
// `--forks` bounds the hosts worked on; this bounds the connections not yet authenticated. sshd drops new
// connections beyond MaxStartups (default 10:30:100: from 10 unauthenticated connections on, 30% of new
// ones are dropped, all of them from 100 on), and a controller that opens hundreds at once sees resets.
import pLimit, { type LimitFunction } from "p-limit";

/** Below sshd's default MaxStartups start (10), with room for a connection sshd has not yet counted out. */
export const DEFAULT_MAX_HANDSHAKES = 8;

/** Attempts of one handshake that is reset before the key exchange ends (the first and 3 retries). */
export const DEFAULT_HANDSHAKE_ATTEMPTS = 4;

/** Delay before the first retry; each further retry waits twice as long, with up to 50% random jitter. */
export const DEFAULT_RETRY_DELAY_MS = 250;

export interface HandshakeLimits {
  /** Handshakes under way at once, from the TCP connect to authentication. */
  maxHandshakes?: number;
  /** Attempts for a handshake reset before the key exchange finished. */
  attempts?: number;
  retryDelayMs?: number;
}

/** Why an attempt failed, as the retry policy needs to know it. */
export interface AttemptFailure {
  /** The server reset or closed the connection before the key exchange finished: nothing was authenticated. */
  beforeKeyExchange: boolean;
  error: unknown;
}

export class HandshakeFailure extends Error {
  readonly failure: AttemptFailure;
  constructor(failure: AttemptFailure) {
    super("handshake failed");
    this.failure = failure;
  }
}

/**
 * Shared by every connection of a run (the pool holds one): at most `maxHandshakes` handshakes at once,
 * each holding its slot only until it is authenticated or has failed; the backoff waits outside the slot.
 */
export class HandshakeLimiter {
  readonly maxHandshakes: number;
  readonly attempts: number;
  readonly retryDelayMs: number;
  private readonly slots: LimitFunction;
  /** Handshakes started (every attempt) and retried, for benchmarks and tests. */
  readonly stats = { started: 0, retried: 0, peak: 0 };

  constructor(limits: HandshakeLimits = {}) {
    this.maxHandshakes = Math.max(1, limits.maxHandshakes ?? DEFAULT_MAX_HANDSHAKES);
    this.attempts = Math.max(1, limits.attempts ?? DEFAULT_HANDSHAKE_ATTEMPTS);
    this.retryDelayMs = Math.max(0, limits.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS);
    this.slots = pLimit(this.maxHandshakes);
  }

  /**
   * Runs `attempt` in a slot until it resolves, it rejects with anything but a HandshakeFailure before the
   * key exchange, or the attempts are used up. Resolves with the value; rejects with the last error and the
   * number of attempts made. A failure after the key exchange (authentication, host key) is never retried.
   */
  async run<T>(attempt: () => Promise<T>): Promise<T> {
    for (let n = 1; ; n++) {
      try {
        return await this.slots(async () => {
          this.stats.started += 1;
          this.stats.peak = Math.max(this.stats.peak, this.slots.activeCount);
          return attempt();
        });
      } catch (err) {
        const retryable = err instanceof HandshakeFailure && err.failure.beforeKeyExchange;
        if (!retryable || n >= this.attempts) throw new HandshakeAttemptsError(err, n);
        this.stats.retried += 1;
        await sleep(this.backoffMs(n));
      }
    }
  }

  /** The wait after failed attempt `n` (1-based): retryDelayMs * 2^(n-1), plus up to half of it at random. */
  backoffMs(n: number): number {
    const base = this.retryDelayMs * 2 ** (n - 1);
    return base + Math.random() * base * 0.5;
  }
}

/** The last attempt's error and how many attempts were made. */
export class HandshakeAttemptsError extends Error {
  readonly attempts: number;
  readonly last: unknown;
  constructor(last: unknown, attempts: number) {
    super(`handshake failed after ${attempts} attempt(s)`);
    this.last = last instanceof HandshakeFailure ? last.failure.error : last;
    this.attempts = attempts;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
