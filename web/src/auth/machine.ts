// The sign-in state machine. It knows Cognito's steps, not the DOM and not the library:
// every answer comes through an AuthBackend, every change goes out as a State.
import type { MfaMode, PasswordPolicy } from "../config";
import { type AuthBackend, type Step, type Tokens, AuthFailure } from "./backend";
import { type Context, SENTENCES, asFailure, isExpiredSession, sentenceFor } from "./messages";
import { passwordProblem } from "./password";
import { normaliseCode, otpauthUri } from "./totp";

interface Base {
  busy: boolean;
  error?: string;
  notice?: string;
}

export type State =
  | (Base & { name: "starting" })
  | (Base & { name: "signIn"; email: string })
  | (Base & { name: "newPassword"; email: string })
  | (Base & { name: "totp"; email: string })
  | (Base & {
      name: "totpSetup";
      email: string;
      secret: string;
      uri: string;
      /** true during the MFA_SETUP challenge: there is no way around it. */
      required: boolean;
      /** The session to return to when the setup is skipped or done (optional setup only). */
      tokens: Tokens | null;
    })
  | (Base & { name: "forgot"; email: string })
  | (Base & { name: "forgotConfirm"; email: string; destination: string | null })
  | (Base & { name: "signedIn"; tokens: Tokens; totpEnabled: boolean | null });

export type StateName = State["name"];

export interface MachineOptions {
  mfa: MfaMode;
  passwordPolicy: PasswordPolicy;
  totpIssuer: string;
}

const CODE_FORMAT = "Enter the 6-digit code from your authenticator app.";

export class SignInMachine {
  private current: State = { name: "starting", busy: true };
  private readonly listeners = new Set<(state: State) => void>();

  constructor(
    private readonly backend: AuthBackend,
    private readonly options: MachineOptions,
  ) {}

  get state(): State {
    return this.current;
  }

  subscribe(listener: (state: State) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private set(state: State): State {
    this.current = state;
    for (const listener of this.listeners) listener(state);
    return state;
  }

  private email(): string {
    const state = this.current;
    return "email" in state ? state.email : state.name === "signedIn" ? state.tokens.email : "";
  }

  /** Marks the current state busy (the form is disabled while Cognito answers). */
  private busy(): void {
    this.set({ ...this.current, busy: true, error: undefined, notice: undefined } as State);
  }

  private fail(error: unknown, context: Context): State {
    const failure = asFailure(error);
    if (context !== "signIn" && context !== "forgot" && context !== "forgotConfirm" && isExpiredSession(failure)) {
      return this.set({ name: "signIn", email: this.email(), busy: false, error: SENTENCES.sessionExpired });
    }
    return this.set({ ...this.current, busy: false, error: sentenceFor(failure, context) } as State);
  }

  /** Picks up a stored session (page reload) or shows the sign-in form. */
  async start(): Promise<State> {
    try {
      const tokens = await this.backend.restore();
      if (tokens) {
        const totpEnabled = this.options.mfa === "optional" ? await this.backend.hasTotp().catch(() => null) : null;
        return this.set({ name: "signedIn", tokens, totpEnabled, busy: false });
      }
    } catch {
      // A stored session that cannot be refreshed is no session: sign in again.
    }
    return this.set({ name: "signIn", email: "", busy: false });
  }

  async submitCredentials(email: string, password: string): Promise<State> {
    const address = email.trim();
    if (address === "" || password === "") {
      return this.set({ name: "signIn", email: address, busy: false, error: "Enter your e-mail address and password." });
    }
    this.set({ name: "signIn", email: address, busy: true });
    try {
      return await this.follow(await this.backend.signIn(address, password), address);
    } catch (error) {
      const failure = asFailure(error);
      if (failure.code === "PasswordResetRequiredException") {
        return this.set({
          name: "forgot",
          email: address,
          busy: false,
          notice: "You need a new password. Send yourself a code to set one.",
        });
      }
      return this.fail(failure, "signIn");
    }
  }

  async submitNewPassword(password: string, repeated: string): Promise<State> {
    if (this.current.name !== "newPassword") return this.current;
    const problem = passwordProblem(this.options.passwordPolicy, password, repeated);
    if (problem) return this.set({ ...this.current, busy: false, error: problem });
    this.busy();
    try {
      return await this.follow(await this.backend.completeNewPassword(password), this.email());
    } catch (error) {
      return this.fail(error, "newPassword");
    }
  }

  async submitTotp(raw: string): Promise<State> {
    if (this.current.name !== "totp") return this.current;
    const code = normaliseCode(raw);
    if (!code) return this.set({ ...this.current, busy: false, error: CODE_FORMAT });
    this.busy();
    try {
      return await this.follow(await this.backend.sendTotpCode(code), this.email());
    } catch (error) {
      return this.fail(error, "totp");
    }
  }

  /** Starts TOTP enrolment: forced (MFA_SETUP challenge) or offered to a signed-in user. */
  async beginTotpSetup(): Promise<State> {
    const state = this.current;
    const required = state.name !== "signedIn";
    const tokens = state.name === "signedIn" ? state.tokens : null;
    const email = this.email();
    this.busy();
    try {
      const secret = await this.backend.associateTotp();
      const uri = otpauthUri(this.options.totpIssuer, email, secret);
      return this.set({ name: "totpSetup", email, secret, uri, required, tokens, busy: false });
    } catch (error) {
      if (tokens) {
        return this.set({ name: "signedIn", tokens, totpEnabled: false, busy: false, error: sentenceFor(error, "totpSetup") });
      }
      return this.fail(error, "totpSetup");
    }
  }

  async submitTotpSetup(raw: string): Promise<State> {
    const state = this.current;
    if (state.name !== "totpSetup") return state;
    const code = normaliseCode(raw);
    if (!code) return this.set({ ...state, busy: false, error: CODE_FORMAT });
    this.busy();
    try {
      const step = await this.backend.verifyTotp(code);
      if (step.kind === "signedIn") {
        return this.set({
          name: "signedIn",
          tokens: step.tokens,
          totpEnabled: true,
          busy: false,
          notice: "Two-step verification is on. You will enter a code from the app at each sign-in.",
        });
      }
      return await this.follow(step, state.email);
    } catch (error) {
      return this.fail(error, "totpSetup");
    }
  }

  /** Leaves an optional enrolment; a required one cannot be skipped. */
  skipTotpSetup(): State {
    const state = this.current;
    if (state.name !== "totpSetup" || state.required || !state.tokens) return state;
    return this.set({ name: "signedIn", tokens: state.tokens, totpEnabled: false, busy: false });
  }

  showForgotPassword(): State {
    return this.set({ name: "forgot", email: this.email(), busy: false });
  }

  backToSignIn(): State {
    return this.set({ name: "signIn", email: this.email(), busy: false });
  }

  async requestResetCode(email: string): Promise<State> {
    const address = email.trim();
    if (address === "") return this.set({ name: "forgot", email: "", busy: false, error: "Enter your e-mail address." });
    this.set({ name: "forgot", email: address, busy: true });
    try {
      const destination = await this.backend.forgotPassword(address);
      return this.set({ name: "forgotConfirm", email: address, destination, busy: false });
    } catch (error) {
      return this.fail(error, "forgot");
    }
  }

  async confirmReset(rawCode: string, password: string, repeated: string): Promise<State> {
    const state = this.current;
    if (state.name !== "forgotConfirm") return state;
    const code = rawCode.replace(/\s+/g, "");
    if (!/^[0-9]{4,10}$/.test(code)) {
      return this.set({ ...state, busy: false, error: "Enter the code from the e-mail." });
    }
    const problem = passwordProblem(this.options.passwordPolicy, password, repeated);
    if (problem) return this.set({ ...state, busy: false, error: problem });
    this.busy();
    try {
      await this.backend.confirmForgotPassword(state.email, code, password);
      return this.set({
        name: "signIn",
        email: state.email,
        busy: false,
        notice: "Your password was changed. Sign in with the new one.",
      });
    } catch (error) {
      return this.fail(error, "forgotConfirm");
    }
  }

  /** Renews the tokens; a refusal ends the session. */
  async refresh(): Promise<State> {
    const state = this.current;
    if (state.name !== "signedIn") return state;
    try {
      const tokens = await this.backend.refresh();
      const now = this.current;
      if (now.name !== "signedIn") return now;
      return this.set({ ...now, tokens });
    } catch (error) {
      const failure = asFailure(error);
      if (failure.code === "NetworkError") throw failure;
      return this.sessionEnded();
    }
  }

  /** The API refused the tokens (401) or they could not be renewed. */
  sessionEnded(sentence: string = SENTENCES.sessionEnded): State {
    const email = this.email();
    void this.backend.signOut().catch(() => undefined);
    return this.set({ name: "signIn", email, busy: false, error: sentence });
  }

  async signOut(): Promise<State> {
    const email = this.email();
    this.busy();
    try {
      await this.backend.signOut();
    } catch {
      // The backend forgets the tokens even when revocation fails; nothing to show.
    }
    return this.set({ name: "signIn", email, busy: false, notice: "You are signed out." });
  }

  /** Where a Cognito step leads. */
  private async follow(step: Step, email: string): Promise<State> {
    switch (step.kind) {
      case "newPasswordRequired":
        return this.set({ name: "newPassword", email, busy: false });
      case "totpRequired":
        return this.set({ name: "totp", email, busy: false });
      case "mfaSetupRequired":
        this.set({ name: "totp", email, busy: true });
        return this.beginTotpSetupFor(email);
      case "signedIn":
        return this.signedIn(step.tokens);
    }
  }

  private async beginTotpSetupFor(email: string): Promise<State> {
    try {
      const secret = await this.backend.associateTotp();
      const uri = otpauthUri(this.options.totpIssuer, email, secret);
      return this.set({ name: "totpSetup", email, secret, uri, required: true, tokens: null, busy: false });
    } catch (error) {
      this.set({ name: "signIn", email, busy: false });
      return this.fail(error, "totpSetup");
    }
  }

  /** Signed in; offers TOTP enrolment when the pool allows it and the user has none. */
  private async signedIn(tokens: Tokens): Promise<State> {
    if (this.options.mfa !== "optional") {
      return this.set({ name: "signedIn", tokens, totpEnabled: this.options.mfa === "required", busy: false });
    }
    let enabled: boolean | null = null;
    try {
      enabled = await this.backend.hasTotp();
    } catch {
      enabled = null;
    }
    this.set({ name: "signedIn", tokens, totpEnabled: enabled, busy: enabled === false });
    if (enabled !== false) return this.current;
    return this.beginTotpSetup();
  }
}

export { AuthFailure };
