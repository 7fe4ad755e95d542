// The sign-in screens, one per state of the sign-in machine.
import type { Config } from "../config";
import type { SignInMachine, State } from "../auth/machine";
import { passwordRules } from "../auth/password";
import { field, h, replaceChildren, say } from "./dom";
import { qrImage } from "./qr";

interface Screen {
  key: string;
  form: HTMLFormElement;
  fieldset: HTMLFieldSetElement;
  alert: HTMLElement;
  notice: HTMLElement;
  /** The field that takes focus when the screen appears or shows an error. */
  focus: HTMLElement;
}

function keyOf(state: State): string {
  return state.name === "totpSetup" ? `totpSetup:${state.secret}` : state.name;
}

export class SignInView {
  private screen: Screen | null = null;

  constructor(
    private readonly root: HTMLElement,
    private readonly machine: SignInMachine,
    private readonly config: Config,
  ) {}

  /** Shows the screen for `state`; keeps typed values when only busy/error changed. */
  render(state: State): void {
    const key = keyOf(state);
    if (!this.screen || this.screen.key !== key || !this.root.contains(this.screen.form)) {
      this.screen = this.build(state);
      replaceChildren(this.root, h("div", { class: "auth" }, this.screen.form));
      this.update(state);
      this.screen.focus.focus();
      return;
    }
    const hadError = state.error !== undefined;
    this.update(state);
    if (hadError && !state.busy) this.screen.focus.focus();
  }

  private update(state: State): void {
    const screen = this.screen;
    if (!screen) return;
    screen.fieldset.disabled = state.busy;
    screen.form.setAttribute("aria-busy", String(state.busy));
    say(screen.alert, state.error);
    say(screen.notice, state.notice);
  }

  private build(state: State): Screen {
    switch (state.name) {
      case "starting":
      case "signedIn":
        return this.starting();
      case "signIn":
        return this.signIn(state.email);
      case "newPassword":
        return this.newPassword();
      case "totp":
        return this.totp();
      case "totpSetup":
        return this.totpSetup(state.secret, state.uri, state.required, state.email);
      case "forgot":
        return this.forgot(state.email);
      case "forgotConfirm":
        return this.forgotConfirm(state.destination);
    }
  }

  private frame(key: string, title: string, intro: string | null, submit: (form: HTMLFormElement) => void): Screen {
    const titleId = `auth-title-${key.split(":")[0]}`;
    const heading = h("h1", { id: titleId, tabindex: -1 }, title);
    const alert = h("p", { class: "alert", role: "alert", hidden: true });
    const notice = h("p", { class: "notice", role: "status", hidden: true });
    const fieldset = h("fieldset", {});
    const form = h(
      "form",
      { class: "card", "aria-labelledby": titleId, novalidate: true },
      h("p", { class: "brand-line" }, "privatecast"),
      heading,
      intro ? h("p", { class: "intro" }, intro) : null,
      notice,
      alert,
      fieldset,
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      submit(form);
    });
    return { key, form, fieldset, alert, notice, focus: heading };
  }

  private starting(): Screen {
    const screen = this.frame("starting", "One moment…", null, () => undefined);
    return screen;
  }

  private signIn(email: string): Screen {
    const screen = this.frame("signIn", "Sign in", null, () => {
      void this.machine.submitCredentials(emailField.input.value, password.input.value);
    });
    const emailField = field("E-mail address", {
      type: "email",
      name: "username",
      autocomplete: "username",
      required: true,
      value: email,
      inputmode: "email",
      autocapitalize: "none",
      spellcheck: "false",
    });
    const password = field("Password", {
      type: "password",
      name: "password",
      autocomplete: "current-password",
      required: true,
    });
    screen.fieldset.append(
      emailField.wrapper,
      password.wrapper,
      h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Sign in")),
      h(
        "div",
        { class: "actions secondary-actions" },
        h("button", { type: "button", class: "link", onclick: () => this.machine.showForgotPassword() }, "Forgot your password?"),
      ),
    );
    screen.focus = email ? password.input : emailField.input;
    return screen;
  }

  private rulesList(input: HTMLInputElement): HTMLElement {
    const rules = passwordRules(this.config.passwordPolicy);
    const items = rules.map((rule) => h("li", { "data-rule": rule.id }, rule.text));
    const list = h("ul", { class: "rules", id: "password-rules" }, ...items);
    input.addEventListener("input", () => {
      rules.forEach((rule, i) => items[i]?.classList.toggle("met", rule.test(input.value)));
    });
    return h("div", { class: "rules-box" }, h("p", { class: "hint" }, "The password needs:"), list);
  }

  private passwordPair(): { first: ReturnType<typeof field>; second: ReturnType<typeof field>; rules: HTMLElement } {
    const first = field("New password", { type: "password", autocomplete: "new-password", required: true, "aria-describedby": "password-rules" });
    first.input.setAttribute("aria-describedby", "password-rules");
    const second = field("Repeat the new password", { type: "password", autocomplete: "new-password", required: true });
    return { first, second, rules: this.rulesList(first.input) };
  }

  private newPassword(): Screen {
    const pair = this.passwordPair();
    const screen = this.frame("newPassword", "Choose a new password", "This is your first sign-in: replace the temporary password with your own.", () => {
      void this.machine.submitNewPassword(pair.first.input.value, pair.second.input.value);
    });
    screen.fieldset.append(
      pair.rules,
      pair.first.wrapper,
      pair.second.wrapper,
      h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Set password")),
      this.cancel(),
    );
    screen.focus = pair.first.input;
    return screen;
  }

  private codeField(): ReturnType<typeof field> {
    return field(
      "Code from your authenticator app",
      { type: "text", inputmode: "numeric", autocomplete: "one-time-code", pattern: "[0-9 ]*", maxlength: 7, required: true },
      "6 digits; it changes every 30 seconds.",
    );
  }

  private totp(): Screen {
    const code = this.codeField();
    const screen = this.frame("totp", "Two-step verification", "Open your authenticator app and enter the code it shows for privatecast.", () => {
      void this.machine.submitTotp(code.input.value).then(() => {
        code.input.value = "";
      });
    });
    screen.fieldset.append(
      code.wrapper,
      h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Verify")),
      this.cancel(),
    );
    screen.focus = code.input;
    return screen;
  }

  private totpSetup(secret: string, uri: string, required: boolean, email: string): Screen {
    const code = this.codeField();
    const intro = required
      ? "This service needs a second step at sign-in. Scan the QR code with an authenticator app, then enter the code it shows."
      : "Protect your account with a code from an authenticator app. Scan the QR code, then enter the code the app shows.";
    const screen = this.frame(`totpSetup:${secret}`, "Set up two-step verification", intro, () => {
      void this.machine.submitTotpSetup(code.input.value).then(() => {
        code.input.value = "";
      });
    });
    const qrSlot = h("div", { class: "qr-slot" });
    void qrImage(uri, `QR code to add ${email} to an authenticator app`).then((img) => qrSlot.append(img));
    const secretId = "totp-secret";
    screen.fieldset.append(
      qrSlot,
      h(
        "div",
        { class: "secret" },
        h("p", { class: "hint", id: `${secretId}-label` }, "Cannot scan? Enter this key in the app instead:"),
        h("code", { id: secretId, "data-testid": "totp-secret", "aria-labelledby": `${secretId}-label` }, secret),
      ),
      code.wrapper,
      h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Turn on two-step verification")),
      required
        ? this.cancel()
        : h(
            "div",
            { class: "actions secondary-actions" },
            h("button", { type: "button", class: "link", onclick: () => this.machine.skipTotpSetup() }, "Not now"),
          ),
    );
    screen.focus = code.input;
    return screen;
  }

  private forgot(email: string): Screen {
    const emailField = field("E-mail address", { type: "email", autocomplete: "username", required: true, value: email, inputmode: "email", autocapitalize: "none" });
    const screen = this.frame("forgot", "Reset your password", "We will e-mail you a code to set a new password.", () => {
      void this.machine.requestResetCode(emailField.input.value);
    });
    screen.fieldset.append(
      emailField.wrapper,
      h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Send code")),
      this.cancel("Back to sign in"),
    );
    screen.focus = emailField.input;
    return screen;
  }

  private forgotConfirm(destination: string | null): Screen {
    const code = field("Code from the e-mail", { type: "text", inputmode: "numeric", autocomplete: "one-time-code", required: true });
    const pair = this.passwordPair();
    const intro = destination ? `We sent a code to ${destination}. Enter it and choose a new password.` : "We sent you a code. Enter it and choose a new password.";
    const screen = this.frame("forgotConfirm", "Choose a new password", intro, () => {
      void this.machine.confirmReset(code.input.value, pair.first.input.value, pair.second.input.value);
    });
    screen.fieldset.append(
      code.wrapper,
      pair.rules,
      pair.first.wrapper,
      pair.second.wrapper,
      h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Set new password")),
      this.cancel("Back to sign in"),
    );
    screen.focus = code.input;
    return screen;
  }

  private cancel(label = "Cancel"): HTMLElement {
    return h(
      "div",
      { class: "actions secondary-actions" },
      h("button", { type: "button", class: "link", onclick: () => this.machine.backToSignIn() }, label),
    );
  }
}
