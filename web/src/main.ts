// Entry point: loads /config.json, then shows the sign-in screens or the signed-in page.
import "./styles.css";
import { ApiClient } from "./api";
import { CognitoBackend } from "./auth/cognito";
import { type State, SignInMachine } from "./auth/machine";
import { type Config, loadConfig } from "./config";
import { SignedInApp } from "./ui/app";
import { h, replaceChildren } from "./ui/dom";
import { SignInView } from "./ui/signin";

/** A token with less left than this is refreshed before an API call. */
const TOKEN_MIN_REMAINING_MS = 60_000;

function showStartupFailure(root: HTMLElement): void {
  const reload = h("button", { type: "button", class: "primary", onclick: () => window.location.reload() }, "Reload");
  replaceChildren(
    root,
    h(
      "div",
      { class: "auth" },
      h(
        "section",
        { class: "card", "aria-labelledby": "startup-title" },
        h("p", { class: "brand-line" }, "privatecast"),
        h("h1", { id: "startup-title" }, "The page cannot start"),
        h("p", { role: "alert" }, "Its settings could not be loaded. Check your connection and try again in a minute."),
        h("div", { class: "actions" }, reload),
      ),
    ),
  );
}

/** The access token for the API, refreshed first when it is about to expire. */
async function accessToken(machine: SignInMachine): Promise<string | null> {
  let state = machine.state;
  if (state.name !== "signedIn") return null;
  if (state.tokens.expiresAt - Date.now() < TOKEN_MIN_REMAINING_MS) {
    try {
      state = await machine.refresh();
    } catch {
      // No network: the request will fail on its own and say so.
    }
  }
  return state.name === "signedIn" ? state.tokens.accessToken : null;
}

function run(root: HTMLElement, config: Config): void {
  const machine = new SignInMachine(new CognitoBackend(config), {
    mfa: config.mfa,
    passwordPolicy: config.passwordPolicy,
    totpIssuer: config.totpIssuer,
  });
  let app: SignedInApp | null = null;
  const api = new ApiClient({
    token: () => accessToken(machine),
    onUnauthorized: (sentence) => {
      if (machine.state.name === "signedIn") machine.sessionEnded(sentence);
    },
  });
  const signIn = new SignInView(root, machine, config);

  const render = (state: State): void => {
    if (state.name === "signedIn" && !state.busy) {
      if (app) app.updateTokens(state.tokens);
      else app = new SignedInApp(root, config, api, machine, state.tokens, state.totpEnabled, state.notice);
      return;
    }
    if (app) {
      app.dispose();
      app = null;
    }
    document.title = "Sign in – privatecast";
    signIn.render(state);
  };
  machine.subscribe(render);
  render(machine.state);
  void machine.start();
}

async function main(): Promise<void> {
  const root = document.getElementById("app");
  if (!root) return;
  try {
    run(root, await loadConfig());
  } catch {
    showStartupFailure(root);
  }
}

void main();
