// AuthBackend on amazon-cognito-identity-js: SRP sign-in, challenges, TOTP, reset, refresh,
// revocation. The library keeps its tokens in localStorage under keys that start with
// "CognitoIdentityServiceProvider.<clientId>."; signOut removes every one of them.
import {
  AuthenticationDetails,
  CognitoUser,
  CognitoUserPool,
  type CognitoUserSession,
  type IAuthenticationCallback,
} from "amazon-cognito-identity-js";
import type { Config } from "../config";
import { type AuthBackend, AuthFailure, type Step, type Tokens } from "./backend";

export const STORAGE_PREFIX = "CognitoIdentityServiceProvider.";

function failure(error: unknown): AuthFailure {
  if (error instanceof AuthFailure) return error;
  if (error && typeof error === "object") {
    const e = error as { code?: unknown; name?: unknown; message?: unknown };
    const code = typeof e.code === "string" ? e.code : typeof e.name === "string" ? e.name : "Error";
    return new AuthFailure(code, typeof e.message === "string" ? e.message : "");
  }
  return new AuthFailure("Error", String(error));
}

export function tokensOf(session: CognitoUserSession): Tokens {
  const access = session.getAccessToken();
  const id = session.getIdToken();
  const idClaims = id.decodePayload() as Record<string, unknown>;
  const accessClaims = access.decodePayload() as Record<string, unknown>;
  const groups = accessClaims["cognito:groups"] ?? idClaims["cognito:groups"];
  return {
    accessToken: access.getJwtToken(),
    idToken: id.getJwtToken(),
    expiresAt: access.getExpiration() * 1000,
    email: typeof idClaims.email === "string" ? idClaims.email : String(accessClaims.username ?? ""),
    groups: Array.isArray(groups) ? groups.map(String) : [],
  };
}

/** Removes the library's keys (tokens, clock drift, user data, device keys) for this client. */
export function forgetStoredTokens(storage: Storage, clientId: string): void {
  const prefix = `${STORAGE_PREFIX}${clientId}.`;
  const doomed: string[] = [];
  for (let i = 0; i < storage.length; i += 1) {
    const key = storage.key(i);
    if (key?.startsWith(prefix)) doomed.push(key);
  }
  for (const key of doomed) storage.removeItem(key);
}

export class CognitoBackend implements AuthBackend {
  private readonly pool: CognitoUserPool;
  private user: CognitoUser | null = null;

  constructor(
    private readonly config: Config,
    private readonly storage: Storage = window.localStorage,
  ) {
    this.pool = new CognitoUserPool({
      UserPoolId: config.userPoolId,
      ClientId: config.clientId,
      endpoint: config.cognitoEndpoint,
      Storage: storage,
    });
  }

  /** Resolves with the next step of an authentication flow. */
  private flow(start: (callbacks: IAuthenticationCallback) => void): Promise<Step> {
    return new Promise((resolve, reject) => {
      start({
        onSuccess: (session) => resolve({ kind: "signedIn", tokens: tokensOf(session) }),
        onFailure: (error) => reject(failure(error)),
        newPasswordRequired: () => resolve({ kind: "newPasswordRequired" }),
        totpRequired: () => resolve({ kind: "totpRequired" }),
        mfaSetup: () => resolve({ kind: "mfaSetupRequired" }),
        mfaRequired: () => reject(new AuthFailure("UnsupportedChallenge", "SMS_MFA")),
        selectMFAType: (_name, parameters: { MFAS_CAN_CHOOSE?: string }) => {
          const user = this.user;
          if (user && String(parameters?.MFAS_CAN_CHOOSE ?? "").includes("SOFTWARE_TOKEN_MFA")) {
            user.sendMFASelectionAnswer("SOFTWARE_TOKEN_MFA", {
              onSuccess: () => resolve({ kind: "totpRequired" }),
              onFailure: (error) => reject(failure(error)),
              mfaRequired: () => reject(new AuthFailure("UnsupportedChallenge", "SMS_MFA")),
              totpRequired: () => resolve({ kind: "totpRequired" }),
            });
          } else reject(new AuthFailure("UnsupportedChallenge", "SELECT_MFA_TYPE"));
        },
        customChallenge: () => reject(new AuthFailure("UnsupportedChallenge", "CUSTOM_CHALLENGE")),
      });
    });
  }

  private userFor(email: string): CognitoUser {
    this.user = new CognitoUser({ Username: email, Pool: this.pool, Storage: this.storage });
    return this.user;
  }

  private requireUser(): CognitoUser {
    if (!this.user) throw new AuthFailure("NotAuthorizedException", "Invalid session for the user, session is expired.");
    return this.user;
  }

  signIn(email: string, password: string): Promise<Step> {
    const user = this.userFor(email);
    user.setAuthenticationFlowType("USER_SRP_AUTH");
    const details = new AuthenticationDetails({ Username: email, Password: password });
    return this.flow((callbacks) => user.authenticateUser(details, callbacks));
  }

  completeNewPassword(password: string): Promise<Step> {
    const user = this.requireUser();
    return this.flow((callbacks) => user.completeNewPasswordChallenge(password, {}, callbacks));
  }

  sendTotpCode(code: string): Promise<Step> {
    const user = this.requireUser();
    return this.flow((callbacks) => user.sendMFACode(code, callbacks, "SOFTWARE_TOKEN_MFA"));
  }

  associateTotp(): Promise<string> {
    const user = this.requireUser();
    return new Promise((resolve, reject) => {
      user.associateSoftwareToken({
        associateSecretCode: (secret) => resolve(secret),
        onFailure: (error) => reject(failure(error)),
      });
    });
  }

  verifyTotp(code: string): Promise<Step> {
    const user = this.requireUser();
    const signedIn = user.getSignInUserSession()?.isValid() === true;
    return new Promise<Step>((resolve, reject) => {
      user.verifySoftwareToken(code, "Authenticator app", {
        onSuccess: (session) => {
          if (!signedIn) {
            resolve({ kind: "signedIn", tokens: tokensOf(session as CognitoUserSession) });
            return;
          }
          // Signed in already: the device is verified; make it the second step.
          user.setUserMfaPreference(null, { PreferredMfa: true, Enabled: true }, (error) => {
            const current = user.getSignInUserSession();
            if (error || !current) reject(failure(error ?? new Error("no session")));
            else resolve({ kind: "signedIn", tokens: tokensOf(current) });
          });
        },
        onFailure: (error) => reject(failure(error)),
      });
    });
  }

  hasTotp(): Promise<boolean> {
    const user = this.requireUser();
    return new Promise((resolve, reject) => {
      user.getUserData(
        (error, data) => {
          if (error || !data) reject(failure(error ?? new Error("no user data")));
          else resolve((data.UserMFASettingList ?? []).includes("SOFTWARE_TOKEN_MFA"));
        },
        { bypassCache: true },
      );
    });
  }

  forgotPassword(email: string): Promise<string | null> {
    const user = this.userFor(email);
    return new Promise((resolve, reject) => {
      user.forgotPassword({
        onSuccess: (data: { CodeDeliveryDetails?: { Destination?: string } }) =>
          resolve(data?.CodeDeliveryDetails?.Destination ?? null),
        onFailure: (error) => reject(failure(error)),
        inputVerificationCode: (data: { CodeDeliveryDetails?: { Destination?: string } }) =>
          resolve(data?.CodeDeliveryDetails?.Destination ?? null),
      });
    });
  }

  confirmForgotPassword(email: string, code: string, password: string): Promise<void> {
    const user = this.user?.getUsername() === email ? this.user : this.userFor(email);
    return new Promise((resolve, reject) => {
      user.confirmPassword(code, password, {
        onSuccess: () => resolve(),
        onFailure: (error) => reject(failure(error)),
      });
    });
  }

  private session(user: CognitoUser): Promise<Tokens> {
    return new Promise((resolve, reject) => {
      user.getSession((error: unknown, session: CognitoUserSession | null) => {
        if (error || !session || !session.isValid()) reject(failure(error ?? new Error("no session")));
        else resolve(tokensOf(session));
      });
    });
  }

  async restore(): Promise<Tokens | null> {
    const user = this.pool.getCurrentUser();
    if (!user) return null;
    this.user = user;
    return this.session(user);
  }

  refresh(): Promise<Tokens> {
    const user = this.requireUser();
    const refreshToken = user.getSignInUserSession()?.getRefreshToken();
    if (!refreshToken) return Promise.reject(new AuthFailure("NotAuthorizedException", "Refresh Token has been revoked"));
    return new Promise((resolve, reject) => {
      user.refreshSession(refreshToken, (error: unknown, session: CognitoUserSession | null) => {
        if (error || !session) reject(failure(error ?? new Error("no session")));
        else resolve(tokensOf(session));
      });
    });
  }

  async signOut(): Promise<void> {
    const user = this.user ?? this.pool.getCurrentUser();
    this.user = null;
    try {
      if (user) {
        await new Promise<void>((resolve, reject) => {
          // With a callback the library revokes the refresh token (RevokeToken) first.
          user.signOut((error?: unknown) => (error ? reject(failure(error)) : resolve()));
        });
      }
    } finally {
      user?.signOut();
      forgetStoredTokens(this.storage, this.config.clientId);
    }
  }
}
