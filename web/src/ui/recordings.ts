// The recordings: newest first, paged with "More", each playable; admins delete after a
// confirmation.
import { ApiError, type Recording } from "../api";
import { describeDuration, formatDate, formatDuration, formatSize } from "../format";
import { Player } from "../player";
import type { AppContext } from "./context";
import { confirmDialog } from "./dialog";
import { h, replaceChildren, say } from "./dom";

export const RECORDINGS_PAGE_SIZE = 20;

export class RecordingsView {
  readonly element: HTMLElement;
  private readonly list: HTMLUListElement;
  private readonly empty: HTMLElement;
  private readonly more: HTMLButtonElement;
  private readonly alert: HTMLElement;
  private readonly notice: HTMLElement;
  private readonly playerBox: HTMLElement;
  private readonly playerTitle: HTMLElement;
  private readonly playerProblem: HTMLElement;
  private readonly video: HTMLVideoElement;
  private readonly player: Player;
  private next: string | null = null;
  private loaded = false;
  private loading = false;
  private playingId: string | null = null;

  constructor(private readonly ctx: AppContext) {
    this.video = h("video", { class: "video", "data-testid": "recording-video", "aria-label": "Recording", controls: true, playsinline: true });
    this.player = new Player(this.video, {
      live: false,
      renewCookies: () => ctx.renewCookies(),
      onProblem: (sentence) => say(this.playerProblem, sentence),
    });
    this.playerTitle = h("h2", { id: "playing-title", tabindex: -1 }, "");
    this.playerProblem = h("p", { class: "alert", role: "alert", hidden: true });
    this.playerBox = h(
      "section",
      { class: "player", "aria-labelledby": "playing-title", hidden: true },
      this.playerTitle,
      this.video,
      this.playerProblem,
      h("div", { class: "actions" }, h("button", { type: "button", class: "secondary", onclick: () => this.closePlayer() }, "Close player")),
    );
    this.list = h("ul", { class: "recordings", "aria-labelledby": "recordings-title" });
    this.empty = h("p", { class: "card empty", hidden: true }, "No recordings yet. Whatever the camera streams is recorded and listed here.");
    this.more = h("button", { type: "button", class: "secondary more", hidden: true }, "More");
    this.more.addEventListener("click", () => void this.load(false));
    this.alert = h("p", { class: "alert", role: "alert", hidden: true });
    this.notice = h("p", { class: "notice", role: "status", hidden: true });
    this.element = h(
      "section",
      { class: "view", "aria-labelledby": "recordings-title" },
      h("h1", { id: "recordings-title", tabindex: -1 }, "Recordings"),
      this.notice,
      this.alert,
      this.playerBox,
      this.list,
      this.empty,
      h("div", { class: "actions" }, this.more),
    );
  }

  show(): void {
    if (!this.loaded) void this.load(true);
  }

  hide(): void {
    this.closePlayer();
  }

  /** Loads the first page (fresh) or the next one. */
  private async load(fresh: boolean): Promise<void> {
    if (this.loading) return;
    this.loading = true;
    this.more.disabled = true;
    this.more.textContent = "Loading…";
    try {
      const page = await this.ctx.api.recordings(RECORDINGS_PAGE_SIZE, fresh ? null : this.next);
      if (fresh) replaceChildren(this.list);
      const firstNew = this.list.children.length;
      for (const recording of page.recordings) this.list.append(this.item(recording));
      this.next = page.next;
      this.loaded = true;
      say(this.alert, null);
      if (!fresh) this.list.children[firstNew]?.querySelector<HTMLButtonElement>("button")?.focus();
    } catch (error) {
      say(this.alert, error instanceof ApiError ? error.sentence : "The recordings could not be loaded. Try again.");
    } finally {
      this.loading = false;
      this.more.disabled = false;
      this.more.textContent = "More";
      this.more.hidden = this.next === null;
      this.empty.hidden = !this.loaded || this.list.children.length > 0;
    }
  }

  private item(recording: Recording): HTMLLIElement {
    const date = formatDate(recording.start);
    const name = `Recording from ${date}`;
    const play = h("button", { type: "button", class: "primary", "aria-label": `Play recording from ${date}` }, "Play");
    play.addEventListener("click", () => this.play(recording, name));
    const remove = this.ctx.isAdmin ? h("button", { type: "button", class: "danger-outline", "aria-label": `Delete recording from ${date}` }, "Delete") : null;
    const item = h(
      "li",
      { class: "recording", "data-id": recording.id, "aria-label": name },
      h(
        "div",
        { class: "meta" },
        h("span", { class: "date" }, date),
        h(
          "span",
          { class: "facts" },
          h("span", { "aria-label": `duration ${describeDuration(recording.duration)}` }, formatDuration(recording.duration)),
          " · ",
          h("span", {}, formatSize(recording.size)),
          recording.live ? h("span", { class: "live-badge" }, "Recording now") : null,
        ),
      ),
      h("div", { class: "item-actions" }, play, remove),
    );
    remove?.addEventListener("click", () => void this.remove(recording, date, item));
    return item;
  }

  private play(recording: Recording, name: string): void {
    void this.ctx.cookiesReady().then((ready) => {
      this.playerBox.hidden = false;
      this.playerTitle.textContent = name;
      this.playingId = recording.id;
      if (!ready) {
        say(this.playerProblem, "The video cannot be shown: your access to it could not be set up. Reload the page.");
        return;
      }
      this.player.load(recording.playlist, 0);
      this.playerTitle.focus();
    });
  }

  private closePlayer(): void {
    this.player.destroy();
    this.playerBox.hidden = true;
    this.playingId = null;
  }

  private async remove(recording: Recording, date: string, item: HTMLLIElement): Promise<void> {
    const ok = await confirmDialog({
      title: "Delete this recording?",
      body: `The recording from ${date} (${describeDuration(recording.duration)}) will be deleted for everyone. This cannot be undone.`,
      confirm: "Delete",
      danger: true,
    });
    if (!ok) return;
    try {
      await this.ctx.api.deleteRecording(recording.id);
      this.forget(recording, item, `The recording from ${date} was deleted.`);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        this.forget(recording, item, error.sentence);
        return;
      }
      say(this.alert, error instanceof ApiError ? error.sentence : "The recording could not be deleted. Try again.");
    }
  }

  private forget(recording: Recording, item: HTMLLIElement, sentence: string): void {
    if (this.playingId === recording.id) this.closePlayer();
    const neighbour = (item.nextElementSibling ?? item.previousElementSibling)?.querySelector<HTMLButtonElement>("button");
    item.remove();
    say(this.notice, sentence);
    this.empty.hidden = this.list.children.length > 0;
    if (neighbour) neighbour.focus();
    else if (!this.more.hidden) this.more.focus();
    else this.element.querySelector<HTMLElement>("h1")?.focus();
  }
}
