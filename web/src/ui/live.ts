// The live view: the camera's video when it streams, a calm offline card when not, the
// servers' state, and for admins start/stop and the maintenance window.
import { ApiError, type Status } from "../api";
import {
  SERVER_NAMES,
  type ServersSummary,
  maintenanceText,
  serverStateText,
  serversSummary,
} from "../format";
import { LIVE_ENDED_RETRY_MS, liveNeedsReload } from "../livewatch";
import { PLAYER_SENTENCES, Player } from "../player";
import { confirmDialog } from "./dialog";
import type { AppContext } from "./context";
import { h, replaceChildren, say } from "./dom";

/** Poll /api/status this often while offline or while servers change state. */
export const STATUS_POLL_FAST_MS = 5_000;
/** ... and this often while the camera is live and the servers are settled. */
export const STATUS_POLL_SLOW_MS = 20_000;
/** ... and this often after a failed poll. */
export const STATUS_POLL_ERROR_MS = 10_000;

export function pollDelay(status: Status | null, failed: boolean): number {
  if (failed || !status) return STATUS_POLL_ERROR_MS;
  const summary = serversSummary(Object.values(status.servers).map((s) => s.state));
  return status.stream.live && summary === "running" ? STATUS_POLL_SLOW_MS : STATUS_POLL_FAST_MS;
}

function offlineLine(summary: ServersSummary, admin: boolean): string {
  switch (summary) {
    case "absent":
      return "The servers are not set up yet.";
    case "stopped":
      return admin ? "The servers are stopped. Start them below to go live." : "The servers are stopped. An administrator can start them.";
    case "changing":
      return "The servers are starting or stopping. This takes a minute or two.";
    case "running":
      return "The servers are running and waiting for the camera.";
    case "mixed":
      return "Only some of the servers are running.";
  }
}

export class LiveView {
  readonly element: HTMLElement;
  private readonly video: HTMLVideoElement;
  private readonly playerBox: HTMLElement;
  private readonly soundButton: HTMLButtonElement;
  private readonly playerProblem: HTMLElement;
  private readonly offline: HTMLElement;
  private readonly offlineText: HTMLElement;
  private readonly serverList: HTMLElement;
  private readonly maintenance: HTMLElement;
  private readonly adminStatus: HTMLElement;
  private readonly pollError: HTMLElement;
  private readonly startButton: HTMLButtonElement | null;
  private readonly stopButton: HTMLButtonElement | null;
  private readonly player: Player;
  private timer: number | null = null;
  private active = false;
  private status: Status | null = null;
  private target: "running" | "stopped" | null = null;
  private lastProgressAt = 0;

  constructor(private readonly ctx: AppContext) {
    this.video = h("video", {
      class: "video",
      "data-testid": "live-video",
      "aria-label": "Live video",
      controls: true,
      muted: true,
      playsinline: true,
      preload: "none",
    });
    this.player = new Player(this.video, {
      live: true,
      renewCookies: () => ctx.renewCookies(),
      onProblem: (sentence) => this.playerTrouble(sentence),
    });
    this.soundButton = h("button", { type: "button", class: "secondary" }, "Turn sound on");
    this.soundButton.addEventListener("click", () => this.toggleSound());
    this.video.addEventListener("volumechange", () => this.syncSound());
    this.video.addEventListener("timeupdate", () => {
      this.lastProgressAt = Date.now();
    });
    this.video.addEventListener("ended", () => this.liveEnded());
    this.playerProblem = h("p", { class: "alert", role: "alert", hidden: true });
    this.playerBox = h(
      "div",
      { class: "player", hidden: true },
      this.video,
      h("div", { class: "player-bar" }, h("span", { class: "live-badge" }, "Live"), this.soundButton),
      this.playerProblem,
    );
    this.offlineText = h("p", {}, "Checking whether the camera is on…");
    this.offline = h(
      "section",
      { class: "card offline", "aria-labelledby": "offline-title", "data-testid": "offline-card" },
      h("h2", { id: "offline-title" }, "The camera is offline"),
      this.offlineText,
      h("p", { class: "hint" }, "Playback starts by itself when the camera comes on."),
    );
    this.serverList = h("ul", { class: "servers", "aria-label": "Server states" });
    this.maintenance = h("p", { class: "hint", hidden: !ctx.isAdmin });
    this.adminStatus = h("p", { class: "notice", role: "status", hidden: true });
    this.pollError = h("p", { class: "alert", role: "alert", hidden: true });
    this.startButton = ctx.isAdmin ? h("button", { type: "button", class: "primary" }, "Start servers") : null;
    this.stopButton = ctx.isAdmin ? h("button", { type: "button", class: "secondary" }, "Stop servers") : null;
    this.startButton?.addEventListener("click", () => void this.change("start"));
    this.stopButton?.addEventListener("click", () => void this.change("stop"));
    const servers = h(
      "section",
      { class: "card", "aria-labelledby": "servers-title" },
      h("h2", { id: "servers-title" }, "Servers"),
      this.serverList,
      this.maintenance,
      ctx.isAdmin ? h("div", { class: "actions" }, this.startButton, this.stopButton) : null,
      this.adminStatus,
    );
    this.element = h(
      "section",
      { class: "view", "aria-labelledby": "live-title" },
      h("h1", { id: "live-title", tabindex: -1 }, "Live"),
      this.pollError,
      this.playerBox,
      this.offline,
      servers,
    );
  }

  show(): void {
    this.active = true;
    void this.poll();
  }

  hide(): void {
    this.active = false;
    this.clearTimer();
    this.player.destroy();
    this.playerBox.hidden = true;
  }

  /** The tab came back into view: poll now rather than when the sleeping timer says. */
  wake(): void {
    if (this.active) void this.poll();
  }

  private clearTimer(): void {
    if (this.timer !== null) window.clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(delay: number): void {
    this.clearTimer();
    if (this.active) this.timer = window.setTimeout(() => void this.poll(), delay);
  }

  private async poll(): Promise<void> {
    this.clearTimer();
    if (!this.active) return;
    if (document.hidden) {
      this.schedule(STATUS_POLL_SLOW_MS);
      return;
    }
    try {
      const status = await this.ctx.api.status();
      if (!this.active) return;
      say(this.pollError, null);
      this.status = status;
      this.showStatus(status);
      this.schedule(this.target ? STATUS_POLL_FAST_MS : pollDelay(status, false));
    } catch (error) {
      if (!this.active) return;
      if (error instanceof ApiError && error.status !== 401) say(this.pollError, error.sentence);
      this.schedule(pollDelay(null, true));
    }
  }

  private showStatus(status: Status): void {
    const states = Object.values(status.servers).map((s) => s.state);
    const summary = serversSummary(states);
    replaceChildren(
      this.serverList,
      ...Object.entries(status.servers).map(([name, server]) =>
        h("li", {}, h("span", { class: "server-name" }, SERVER_NAMES[name] ?? name), " ", h("span", { class: `state state-${server.state}` }, serverStateText(server.state))),
      ),
    );
    this.maintenance.textContent = maintenanceText(status.maintenance.status);
    this.offlineText.textContent = offlineLine(summary, this.ctx.isAdmin);
    this.updateAdmin(summary);
    if (status.stream.live) void this.goLive();
    else this.goOffline();
  }

  private updateAdmin(summary: ServersSummary): void {
    if (!this.startButton || !this.stopButton) return;
    if (this.target && summary === this.target) {
      say(this.adminStatus, this.target === "running" ? "The servers are running." : "The servers are stopped.");
      this.target = null;
    } else if (this.target) {
      say(this.adminStatus, this.target === "running" ? "Starting the servers… this takes a minute or two." : "Stopping the servers…");
    }
    const changing = summary === "changing" || this.target !== null;
    this.startButton.disabled = changing || summary === "running" || summary === "absent";
    this.stopButton.disabled = changing || summary === "stopped" || summary === "absent";
  }

  private async change(action: "start" | "stop"): Promise<void> {
    if (action === "stop") {
      const live = this.status?.stream.live === true;
      const ok = await confirmDialog({
        title: "Stop the servers?",
        body: live
          ? "The camera is live: everyone watching loses the video, and nothing more is recorded until the servers are started again."
          : "Nothing can be streamed or recorded until the servers are started again.",
        confirm: "Stop servers",
        danger: true,
      });
      if (!ok) return;
    }
    if (this.startButton) this.startButton.disabled = true;
    if (this.stopButton) this.stopButton.disabled = true;
    try {
      if (action === "start") await this.ctx.api.startServers();
      else await this.ctx.api.stopServers();
      this.target = action === "start" ? "running" : "stopped";
      say(this.adminStatus, action === "start" ? "Starting the servers… this takes a minute or two." : "Stopping the servers…");
    } catch (error) {
      say(this.adminStatus, error instanceof ApiError ? error.sentence : "That did not work. Try again.");
    }
    void this.poll();
  }

  /** Owncast ends its playlist when the camera stops; if the camera is back (or comes back
   * soon), the next poll loads the new stream. */
  private liveEnded(): void {
    if (!this.active || !this.player.playing) return;
    this.player.destroy();
    this.schedule(LIVE_ENDED_RETRY_MS);
  }

  private async goLive(): Promise<void> {
    this.offline.hidden = true;
    this.playerBox.hidden = false;
    if (this.player.playing && liveNeedsReload(Date.now(), this.lastProgressAt, this.video)) this.player.destroy();
    if (this.player.playing) return;
    if (!(await this.ctx.cookiesReady())) {
      say(this.playerProblem, PLAYER_SENTENCES.forbidden);
      return;
    }
    if (this.active && !this.player.playing && this.status?.stream.live) {
      this.lastProgressAt = Date.now();
      this.player.load(this.ctx.config.livePlaylist);
    }
  }

  private goOffline(): void {
    this.offline.hidden = false;
    this.playerBox.hidden = true;
    if (this.player.playing) this.player.destroy();
    say(this.playerProblem, null);
  }

  private playerTrouble(sentence: string | null): void {
    say(this.playerProblem, sentence);
    // A live stream that broke is loaded afresh on the next poll that finds it live.
    if (sentence === PLAYER_SENTENCES.network || sentence === PLAYER_SENTENCES.media) this.player.destroy();
  }

  private toggleSound(): void {
    this.video.muted = !this.video.muted;
    if (!this.video.muted && this.video.volume === 0) this.video.volume = 1;
    this.syncSound();
  }

  private syncSound(): void {
    const on = !this.video.muted;
    this.soundButton.textContent = on ? "Turn sound off" : "Turn sound on";
  }
}
