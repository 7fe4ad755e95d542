// The small interface the sign-in state machine talks to. cognito.ts implements it with
// amazon-cognito-identity-js; the tests implement it with scripted answers.

export interface Tokens {
  accessToken: string;
  idToken: string;
  /** When the access token expires, milliseconds since the epoch. */
  expiresAt: number;
  email: string;
  groups: string[];
}

/** What Cognito asks for next after a step of the sign-in. */
export type Step =
  | { kind: "signedIn"; tokens: Tokens }
  | { kind: "newPasswordRequired" }
  | { kind: "totpRequired" }
  | { kind: "mfaSetupRequired" };

/** A failure Cognito (or the network) reported: `code` is Cognito's error type. */
export class AuthFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "AuthFailure";
  }
}

export interface AuthBackend {
  signIn(email: string, password: string): Promise<Step>;
  completeNewPassword(password: string): Promise<Step>;
  sendTotpCode(code: string): Promise<Step>;
  /** The secret of a new TOTP device, during the MFA_SETUP challenge or once signed in. */
  associateTotp(): Promise<string>;
  /** Confirms the new device; signed in, it also makes TOTP the preferred second step. */
  verifyTotp(code: string): Promise<Step>;
  hasTotp(): Promise<boolean>;
  /** Sends a reset code; answers where it went (masked address) when Cognito says. */
  forgotPassword(email: string): Promise<string | null>;
  confirmForgotPassword(email: string, code: string, password: string): Promise<void>;
  /** The session the library kept in localStorage, refreshed if needed; null if none. */
  restore(): Promise<Tokens | null>;
  refresh(): Promise<Tokens>;
  /** Revokes the refresh token and forgets every stored token, even when revocation fails. */
  signOut(): Promise<void>;
}
