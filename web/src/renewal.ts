// When to renew: the signed video cookies (from their lifetimes) and the Cognito tokens
// (from the access token's exp). Pure timing; the clock and the timers are injected.

/** Renew the cookies when this share of the shorter grant has passed. */
export const COOKIE_RENEW_SHARE = 0.8;
/** After a failed renewal, try again this much later (while the old grant lasts). */
export const RETRY_DELAY_MS = 15_000;
/** Refresh the Cognito tokens this long before the access token expires. */
export const TOKEN_REFRESH_MARGIN_MS = 5 * 60_000;
/** Never schedule sooner than this (a token that is nearly expired refreshes soon, not in a loop). */
export const MIN_DELAY_MS = 5_000;

export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as number),
};

export interface Grant {
  hls: number;
  recordings: number;
}

/** Milliseconds from a new grant to its renewal. */
export function cookieRenewalDelay(grant: Grant): number {
  const shorter = Math.min(grant.hls, grant.recordings) * 1000;
  return Math.max(MIN_DELAY_MS, Math.floor(shorter * COOKIE_RENEW_SHARE));
}

/** Milliseconds from now to the token refresh. */
export function tokenRefreshDelay(expiresAt: number, now: number): number {
  return Math.max(MIN_DELAY_MS, expiresAt - now - TOKEN_REFRESH_MARGIN_MS);
}

/**
 * Keeps the signed cookies fresh: renews at 80% of the shorter lifetime, retries every
 * RETRY_DELAY_MS on failure, and renews at once when the page wakes up past the due time.
 * Concurrent renewals (timer and a player's 403) share one request.
 */
export class CookieRenewal {
  private timer: unknown = null;
  private dueAt: number | null = null;
  private inFlight: Promise<boolean> | null = null;
  private stopped = true;

  constructor(
    private readonly renew: () => Promise<Grant>,
    private readonly clock: Clock = realClock,
    private readonly onFailure: (error: unknown) => void = () => undefined,
  ) {}

  /** When the next renewal is due (ms since the epoch), or null when stopped. */
  get nextDueAt(): number | null {
    return this.dueAt;
  }

  /** Starts with a fresh grant just received. */
  start(grant: Grant): void {
    this.stopped = false;
    this.schedule(cookieRenewalDelay(grant));
  }

  stop(): void {
    this.stopped = true;
    this.cancel();
  }

  /** Renews now (or joins the renewal under way); resolves true when it worked. */
  renewNow(): Promise<boolean> {
    if (this.inFlight) return this.inFlight;
    this.cancel();
    this.inFlight = this.renew()
      .then((grant) => {
        if (!this.stopped) this.schedule(cookieRenewalDelay(grant));
        return true;
      })
      .catch((error: unknown) => {
        if (!this.stopped) this.schedule(RETRY_DELAY_MS);
        this.onFailure(error);
        return false;
      })
      .finally(() => {
        this.inFlight = null;
      });
    return this.inFlight;
  }

  /** Call when the page becomes visible: timers sleep with the tab or the laptop. */
  wake(): void {
    if (!this.stopped && this.dueAt !== null && this.clock.now() >= this.dueAt) void this.renewNow();
  }

  private schedule(delay: number): void {
    this.cancel();
    this.dueAt = this.clock.now() + delay;
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      void this.renewNow();
    }, delay);
  }

  private cancel(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.dueAt = null;
  }
}

/** Allows one retry per `windowMs`: a 403 renews the cookies once, a second one gives up. */
export class RetryOnce {
  private lastRetry: number | null = null;

  constructor(
    private readonly clock: Pick<Clock, "now"> = realClock,
    private readonly windowMs = 60_000,
  ) {}

  shouldRetry(): boolean {
    const now = this.clock.now();
    if (this.lastRetry !== null && now - this.lastRetry < this.windowMs) return false;
    this.lastRetry = now;
    return true;
  }
}

/** Decides what a 403 leads to: renew the cookies and reload once, then give up. */
export class ForbiddenRecovery {
  constructor(
    private readonly renewCookies: () => Promise<boolean>,
    private readonly retry: RetryOnce = new RetryOnce(),
  ) {}

  /** true: the cookies were renewed, reload; false: give up and say so. */
  async onForbidden(): Promise<boolean> {
    if (!this.retry.shouldRetry()) return false;
    return this.renewCookies();
  }
}
