// When a live player that is loaded must be loaded afresh: the camera stopped and came
// back, so Owncast ended the old playlist (an offline clip and #EXT-X-ENDLIST) and began a
// new one, while the status API went on saying "live" throughout.

/** A live player that has shown nothing new for this long while the camera is live is
 * loaded afresh (the camera restarted: Owncast ended the old playlist and began a new one). */
export const LIVE_STALL_RELOAD_MS = 12_000;
/** After the live playlist ended, look again this soon. */
export const LIVE_ENDED_RETRY_MS = 3_000;

/** Whether a live player that is loaded should be reloaded from the live playlist. */
export function liveNeedsReload(now: number, lastProgressAt: number, video: { ended: boolean; paused: boolean }): boolean {
  if (video.ended) return true;
  return !video.paused && now - lastProgressAt >= LIVE_STALL_RELOAD_MS;
}
