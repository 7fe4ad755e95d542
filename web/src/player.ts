// Video playback: hls.js where the browser has Media Source Extensions, the browser's own
// HLS player where it has not (iPhone Safari). A 403 (expired signed cookies) renews the
// cookies once and reloads; a second one within a minute gives up with a sentence.
import type { ErrorData } from "hls.js";
import Hls from "hls.js/light";
import { ForbiddenRecovery } from "./renewal";

export const PLAYER_SENTENCES = {
  forbidden: "Your access to the video has expired and could not be renewed. Reload the page or sign in again.",
  network: "The video cannot be loaded right now. Check your connection; it will try again.",
  media: "This browser could not play the video.",
  unsupported: "This browser cannot play this kind of video. Try a current Chrome, Firefox, Edge or Safari.",
} as const;

export interface PlayerOptions {
  renewCookies: () => Promise<boolean>;
  /** A sentence to show, or null when playback is fine again. */
  onProblem: (sentence: string | null) => void;
  /** Live: start muted by itself (browsers allow muted autoplay only). */
  live: boolean;
}

function workerPath(): string | null {
  return typeof __HLS_WORKER_PATH__ === "string" ? __HLS_WORKER_PATH__ : null;
}

export function nativeHls(video: HTMLVideoElement): boolean {
  return video.canPlayType("application/vnd.apple.mpegurl") !== "";
}

export class Player {
  private hls: Hls | null = null;
  private url: string | null = null;
  private readonly recovery: ForbiddenRecovery;
  private mediaRecoveries = 0;
  private readonly onNativeError = (): void => void this.nativeFailed();

  constructor(
    private readonly video: HTMLVideoElement,
    private readonly options: PlayerOptions,
  ) {
    this.recovery = new ForbiddenRecovery(options.renewCookies);
    video.playsInline = true;
    if (options.live) {
      video.muted = true;
      video.autoplay = true;
    }
  }

  get playing(): string | null {
    return this.url;
  }

  load(url: string, startPosition = -1): void {
    this.stopLoading();
    this.url = url;
    this.options.onProblem(null);
    // hls.js wherever Media Source Extensions exist: it reports a 403 as a 403, so expired
    // cookies are renewed and nothing else is mistaken for them. The native player where
    // they do not (iPhone Safari); recent Chromium also plays HLS natively, but says too
    // little about errors to be preferred.
    if (!Hls.isSupported()) {
      if (!nativeHls(this.video)) {
        this.options.onProblem(PLAYER_SENTENCES.unsupported);
        return;
      }
      this.video.addEventListener("error", this.onNativeError);
      this.video.src = url;
      this.play();
      return;
    }
    const hls = new Hls({ startPosition, enableWorker: true, workerPath: workerPath(), lowLatencyMode: false });
    this.hls = hls;
    hls.on(Hls.Events.ERROR, (_event, data) => void this.hlsError(hls, data));
    hls.on(Hls.Events.MANIFEST_PARSED, () => this.play());
    hls.on(Hls.Events.FRAG_LOADED, () => this.options.onProblem(null));
    hls.loadSource(url);
    hls.attachMedia(this.video);
  }

  /** Stops and forgets the video (the element stays). */
  destroy(): void {
    this.stopLoading();
    this.url = null;
  }

  private stopLoading(): void {
    this.video.removeEventListener("error", this.onNativeError);
    if (this.hls) {
      this.hls.destroy();
      this.hls = null;
    }
    if (this.video.getAttribute("src")) {
      this.video.removeAttribute("src");
      this.video.load();
    }
  }

  private play(): void {
    this.video.play().catch(() => {
      // Autoplay refused (sound on, or a power-saving mode): the controls stay available.
    });
  }

  private async reload(): Promise<void> {
    const url = this.url;
    if (!url) return;
    const position = this.options.live ? -1 : this.video.currentTime;
    this.load(url, position);
  }

  private async forbidden(): Promise<void> {
    const url = this.url;
    if (await this.recovery.onForbidden()) {
      if (this.url === url) await this.reload();
    } else {
      this.stopLoading();
      this.options.onProblem(PLAYER_SENTENCES.forbidden);
    }
  }

  private async nativeFailed(): Promise<void> {
    // The native player does not say why; expired cookies are the likely cause.
    await this.forbidden();
  }

  private async hlsError(hls: Hls, data: ErrorData): Promise<void> {
    if (hls !== this.hls) return;
    if (data.response?.code === 403) {
      hls.stopLoad();
      await this.forbidden();
      return;
    }
    if (!data.fatal) return;
    if (data.type === Hls.ErrorTypes.MEDIA_ERROR && this.mediaRecoveries < 2) {
      this.mediaRecoveries += 1;
      hls.recoverMediaError();
      return;
    }
    if (data.type === Hls.ErrorTypes.NETWORK_ERROR) {
      this.options.onProblem(PLAYER_SENTENCES.network);
      return;
    }
    this.stopLoading();
    this.options.onProblem(PLAYER_SENTENCES.media);
  }
}
