import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  type Clock,
  CookieRenewal,
  ForbiddenRecovery,
  RETRY_DELAY_MS,
  RetryOnce,
  cookieRenewalDelay,
  tokenRefreshDelay,
} from "../src/renewal";

const clock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(new Date("2025-06-01T12:00:00Z"));
});
afterEach(() => vi.useRealTimers());

describe("timing", () => {
  it("renews cookies at 80% of the shorter lifetime", () => {
    expect(cookieRenewalDelay({ hls: 3600, recordings: 3600 })).toBe(2_880_000);
    expect(cookieRenewalDelay({ hls: 600, recordings: 3600 })).toBe(480_000);
    expect(cookieRenewalDelay({ hls: 1, recordings: 1 })).toBe(5_000);
  });

  it("refreshes tokens five minutes before the access token expires, never in a loop", () => {
    const now = Date.now();
    expect(tokenRefreshDelay(now + 3_600_000, now)).toBe(3_300_000);
    expect(tokenRefreshDelay(now + 60_000, now)).toBe(5_000);
    expect(tokenRefreshDelay(now - 1, now)).toBe(5_000);
  });
});

describe("CookieRenewal", () => {
  it("renews at 80% of the shorter grant, then again from the new grant", async () => {
    const renew = vi.fn().mockResolvedValue({ hls: 1000, recordings: 2000 });
    const renewal = new CookieRenewal(renew, clock);
    renewal.start({ hls: 600, recordings: 3600 });
    expect(renewal.nextDueAt).toBe(Date.now() + 480_000);

    await vi.advanceTimersByTimeAsync(479_999);
    expect(renew).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(renew).toHaveBeenCalledTimes(1);

    await vi.advanceTimersByTimeAsync(799_999);
    expect(renew).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(renew).toHaveBeenCalledTimes(2);
    renewal.stop();
  });

  it("retries 15 s after a failure and reports it", async () => {
    const renew = vi.fn().mockRejectedValueOnce(new Error("down")).mockResolvedValue({ hls: 3600, recordings: 3600 });
    const failures: unknown[] = [];
    const renewal = new CookieRenewal(renew, clock, (e) => failures.push(e));
    renewal.start({ hls: 100, recordings: 100 });
    await vi.advanceTimersByTimeAsync(80_000);
    expect(renew).toHaveBeenCalledTimes(1);
    expect(failures).toHaveLength(1);
    expect(renewal.nextDueAt).toBe(Date.now() + RETRY_DELAY_MS);
    await vi.advanceTimersByTimeAsync(RETRY_DELAY_MS);
    expect(renew).toHaveBeenCalledTimes(2);
    expect(renewal.nextDueAt).toBe(Date.now() + 2_880_000);
    renewal.stop();
  });

  it("shares one request between the timer and a player's 403", async () => {
    let resolve: (v: { hls: number; recordings: number }) => void = () => undefined;
    const renew = vi.fn(() => new Promise<{ hls: number; recordings: number }>((r) => (resolve = r)));
    const renewal = new CookieRenewal(renew, clock);
    renewal.start({ hls: 100, recordings: 100 });
    const a = renewal.renewNow();
    const b = renewal.renewNow();
    expect(renew).toHaveBeenCalledTimes(1);
    resolve({ hls: 100, recordings: 100 });
    expect(await a).toBe(true);
    expect(await b).toBe(true);
    renewal.stop();
  });

  it("stops: no renewal after sign-out", async () => {
    const renew = vi.fn().mockResolvedValue({ hls: 100, recordings: 100 });
    const renewal = new CookieRenewal(renew, clock);
    renewal.start({ hls: 100, recordings: 100 });
    renewal.stop();
    await vi.advanceTimersByTimeAsync(1_000_000);
    expect(renew).not.toHaveBeenCalled();
    expect(renewal.nextDueAt).toBeNull();
  });

  it("renews at once when the page wakes past the due time", async () => {
    const renew = vi.fn().mockResolvedValue({ hls: 100, recordings: 100 });
    let now = Date.now();
    const sleepyClock: Clock = { ...clock, now: () => now, setTimeout: () => 1, clearTimeout: () => undefined };
    const renewal = new CookieRenewal(renew, sleepyClock);
    renewal.start({ hls: 100, recordings: 100 });
    now += 79_000;
    renewal.wake();
    expect(renew).not.toHaveBeenCalled();
    now += 1_000;
    renewal.wake();
    expect(renew).toHaveBeenCalledTimes(1);
  });
});

describe("403 retry once", () => {
  it("renews and retries on the first 403, gives up on the second within a minute", async () => {
    const renew = vi.fn().mockResolvedValue(true);
    const recovery = new ForbiddenRecovery(renew, new RetryOnce(clock));
    expect(await recovery.onForbidden()).toBe(true);
    expect(await recovery.onForbidden()).toBe(false);
    expect(renew).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(60_000);
    expect(await recovery.onForbidden()).toBe(true);
    expect(renew).toHaveBeenCalledTimes(2);
  });

  it("gives up when the renewal itself fails", async () => {
    const recovery = new ForbiddenRecovery(vi.fn().mockResolvedValue(false), new RetryOnce(clock));
    expect(await recovery.onForbidden()).toBe(false);
  });
});
