// The signed-in page: header (sections, account, sign-out), the live and recordings views,
// the signed-cookie session and the token refresh.
import { type ApiClient, ApiError, type Lifetimes } from "../api";
import type { Tokens } from "../auth/backend";
import type { SignInMachine } from "../auth/machine";
import type { Config } from "../config";
import { CookieRenewal, realClock, tokenRefreshDelay } from "../renewal";
import type { AppContext } from "./context";
import { h, replaceChildren, say } from "./dom";
import { LiveView } from "./live";
import { RecordingsView } from "./recordings";

type Section = "live" | "recordings";

export function sectionFromHash(hash: string): Section {
  return hash.replace(/^#\/?/, "") === "recordings" ? "recordings" : "live";
}

export class SignedInApp {
  private readonly cookies: CookieRenewal;
  private firstGrant: Promise<boolean>;
  private readonly live: LiveView;
  private readonly recordings: RecordingsView;
  private readonly links: Record<Section, HTMLAnchorElement>;
  private readonly banner: HTMLElement;
  private readonly notice: HTMLElement;
  private readonly main: HTMLElement;
  private readonly totpButton: HTMLButtonElement | null;
  private section: Section | null = null;
  private refreshTimer: number | null = null;
  private readonly onHash = (): void => this.route();
  private readonly onVisible = (): void => this.visible();

  constructor(
    root: HTMLElement,
    config: Config,
    private readonly api: ApiClient,
    private readonly machine: SignInMachine,
    private tokens: Tokens,
    totpEnabled: boolean | null,
    notice: string | undefined,
  ) {
    this.cookies = new CookieRenewal(
      () => this.api.session(),
      realClock,
      (error) => this.cookieTrouble(error),
    );
    this.firstGrant = this.grant();
    const ctx: AppContext = {
      config,
      api,
      isAdmin: tokens.groups.includes(config.adminGroup),
      cookiesReady: () => this.firstGrant,
      renewCookies: () => this.cookies.renewNow(),
    };
    this.live = new LiveView(ctx);
    this.recordings = new RecordingsView(ctx);
    this.links = {
      live: h("a", { href: "#live", class: "tab" }, "Live"),
      recordings: h("a", { href: "#recordings", class: "tab" }, "Recordings"),
    };
    this.banner = h("p", { class: "alert banner", role: "alert", hidden: true });
    this.notice = h("p", { class: "notice banner", role: "status", hidden: true });
    this.totpButton =
      config.mfa === "optional" && totpEnabled === false
        ? h("button", { type: "button", class: "link", onclick: () => void this.machine.beginTotpSetup() }, "Set up two-step verification")
        : null;
    const signOut = h("button", { type: "button", class: "secondary", onclick: () => void this.signOut() }, "Sign out");
    this.main = h("main", { id: "main" });
    const header = h(
      "header",
      { class: "bar" },
      h("div", { class: "bar-top" }, h("span", { class: "brand" }, "privatecast"), h("div", { class: "account" }, h("span", { class: "who" }, tokens.email), signOut)),
      h("nav", { "aria-label": "Sections", class: "tabs" }, this.links.live, this.links.recordings),
    );
    replaceChildren(
      root,
      h("a", { href: "#main", class: "skip" }, "Skip to content"),
      header,
      h("div", { class: "banners" }, this.banner, this.notice, this.totpButton ? h("p", { class: "offer" }, "Add a second step to your sign-in: ", this.totpButton) : null),
      this.main,
    );
    say(this.notice, notice);
    window.addEventListener("hashchange", this.onHash);
    document.addEventListener("visibilitychange", this.onVisible);
    this.scheduleRefresh();
    this.route();
  }

  /** New tokens from a refresh. */
  updateTokens(tokens: Tokens): void {
    this.tokens = tokens;
    this.scheduleRefresh();
  }

  /** Stops timers and players; the machine has left the signed-in state. */
  dispose(): void {
    this.cookies.stop();
    this.live.hide();
    this.recordings.hide();
    if (this.refreshTimer !== null) window.clearTimeout(this.refreshTimer);
    window.removeEventListener("hashchange", this.onHash);
    document.removeEventListener("visibilitychange", this.onVisible);
  }

  private async grant(): Promise<boolean> {
    try {
      const lifetimes: Lifetimes = await this.api.session();
      this.cookies.start(lifetimes);
      return true;
    } catch (error) {
      this.cookieTrouble(error);
      return false;
    }
  }

  private cookieTrouble(error: unknown): void {
    if (error instanceof ApiError && error.status === 401) return;
    say(this.banner, error instanceof ApiError ? error.sentence : "Access to the video could not be renewed.");
  }

  private route(): void {
    const section = sectionFromHash(window.location.hash);
    if (section === this.section) return;
    const first = this.section === null;
    this.section = section;
    for (const [name, link] of Object.entries(this.links)) {
      if (name === section) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    const view = section === "live" ? this.live : this.recordings;
    (section === "live" ? this.recordings : this.live).hide();
    replaceChildren(this.main, view.element);
    view.show();
    document.title = section === "live" ? "Live – privatecast" : "Recordings – privatecast";
    if (!first) view.element.querySelector<HTMLElement>("h1")?.focus();
  }

  private visible(): void {
    if (document.hidden) return;
    this.cookies.wake();
    this.live.wake();
    if (this.tokens.expiresAt - Date.now() < 5 * 60_000) void this.refresh();
  }

  private scheduleRefresh(): void {
    if (this.refreshTimer !== null) window.clearTimeout(this.refreshTimer);
    const delay = tokenRefreshDelay(this.tokens.expiresAt, Date.now());
    this.refreshTimer = window.setTimeout(() => void this.refresh(), delay);
  }

  private async refresh(): Promise<void> {
    try {
      await this.machine.refresh();
    } catch {
      // Network down: try again in a minute, the tokens may still be valid.
      if (this.refreshTimer !== null) window.clearTimeout(this.refreshTimer);
      this.refreshTimer = window.setTimeout(() => void this.refresh(), 60_000);
    }
  }

  private async signOut(): Promise<void> {
    this.dispose();
    try {
      await this.api.signout();
    } catch {
      // The cookies expire by themselves; the tokens are revoked and forgotten below.
    }
    await this.machine.signOut();
  }
}
