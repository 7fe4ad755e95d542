import { describe, expect, it } from "vitest";
import { LIVE_STALL_RELOAD_MS, liveNeedsReload } from "../src/livewatch";

describe("reloading a live player", () => {
  const playing = { ended: false, paused: false };

  it("reloads once the old stream's playlist has ended", () => {
    expect(liveNeedsReload(1_000, 1_000, { ended: true, paused: true })).toBe(true);
  });

  it("keeps a player that shows new frames", () => {
    expect(liveNeedsReload(50_000, 50_000 - LIVE_STALL_RELOAD_MS + 1, playing)).toBe(false);
  });

  it("reloads a player stuck on the same frame while the camera is live", () => {
    expect(liveNeedsReload(50_000, 50_000 - LIVE_STALL_RELOAD_MS, playing)).toBe(true);
  });

  it("leaves a player the viewer paused alone", () => {
    expect(liveNeedsReload(50_000, 0, { ended: false, paused: true })).toBe(false);
  });
});
