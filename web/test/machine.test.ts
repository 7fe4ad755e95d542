import { describe, expect, it } from "vitest";
import { DEFAULT_PASSWORD_POLICY, type MfaMode } from "../src/config";
import { SignInMachine, type State } from "../src/auth/machine";
import { SENTENCES } from "../src/auth/messages";
import { FakeBackend, failure, tokens } from "./fake-backend";

const GOOD = "Correct-Horse-42!";
const ANN = "ann@example.com";

function machine(backend: FakeBackend, mfa: MfaMode = "off") {
  const m = new SignInMachine(backend, { mfa, passwordPolicy: DEFAULT_PASSWORD_POLICY, totpIssuer: "privatecast" });
  const seen: State[] = [];
  m.subscribe((state) => seen.push(state));
  return { m, seen };
}

async function atSignIn(backend: FakeBackend, mfa: MfaMode = "off") {
  const made = machine(backend.script("restore", null), mfa);
  await made.m.start();
  return made;
}

describe("start", () => {
  it("resumes a stored session", async () => {
    const { m } = machine(new FakeBackend().script("restore", tokens()));
    const state = await m.start();
    expect(state).toMatchObject({ name: "signedIn", tokens: { email: ANN }, busy: false });
  });

  it("shows the sign-in form without a stored session, or when it cannot be refreshed", async () => {
    expect((await machine(new FakeBackend().script("restore", null)).m.start()).name).toBe("signIn");
    const revoked = failure("NotAuthorizedException", "Refresh Token has been revoked");
    expect((await machine(new FakeBackend().script("restore", revoked)).m.start()).name).toBe("signIn");
  });
});

describe("password sign-in", () => {
  it("signs in with e-mail and password, trimming the address, busy while waiting", async () => {
    const backend = new FakeBackend().script("signIn", { kind: "signedIn", tokens: tokens() });
    const { m, seen } = await atSignIn(backend);
    const state = await m.submitCredentials(`  ${ANN} `, "pw");
    expect(backend.called("signIn")).toEqual([[ANN, "pw"]]);
    expect(state).toMatchObject({ name: "signedIn", totpEnabled: false });
    expect(seen.some((s) => s.name === "signIn" && s.busy)).toBe(true);
  });

  it("says so on a wrong password and stays on the form with the address", async () => {
    const backend = new FakeBackend().script("signIn", failure("NotAuthorizedException", "Incorrect username or password."));
    const { m } = await atSignIn(backend);
    const state = await m.submitCredentials(ANN, "wrong");
    expect(state).toEqual({ name: "signIn", email: ANN, busy: false, error: SENTENCES.wrongPassword });
  });

  it("does not tell unknown users from wrong passwords", async () => {
    const { m } = await atSignIn(new FakeBackend().script("signIn", failure("UserNotFoundException", "User does not exist.")));
    expect((await m.submitCredentials("nobody@example.com", "x")).error).toBe(SENTENCES.wrongPassword);
  });

  it("words throttling and network trouble as sentences", async () => {
    const backend = new FakeBackend().script(
      "signIn",
      failure("NotAuthorizedException", "Password attempts exceeded"),
      failure("NetworkError", "Network error"),
      failure("InternalErrorException", "boom"),
    );
    const { m } = await atSignIn(backend);
    expect((await m.submitCredentials(ANN, "x")).error).toBe(SENTENCES.tooManyAttempts);
    expect((await m.submitCredentials(ANN, "x")).error).toBe(SENTENCES.network);
    const state = await m.submitCredentials(ANN, "x");
    expect(state.error).toBe(SENTENCES.generic);
    expect(state.error).not.toMatch(/Exception|boom/);
  });

  it("asks for both fields before calling Cognito", async () => {
    const backend = new FakeBackend();
    const { m } = await atSignIn(backend);
    expect((await m.submitCredentials(ANN, "")).error).toMatch(/password/);
    expect(backend.called("signIn")).toEqual([]);
  });

  it("sends a user whose password must be reset to the reset form", async () => {
    const { m } = await atSignIn(new FakeBackend().script("signIn", failure("PasswordResetRequiredException", "reset")));
    const state = await m.submitCredentials(ANN, "x");
    expect(state).toMatchObject({ name: "forgot", email: ANN });
    expect(state.notice).toMatch(/new password/);
  });
});

describe("first login: NEW_PASSWORD_REQUIRED", () => {
  it("checks the pool's rules before sending, then signs in", async () => {
    const backend = new FakeBackend()
      .script("signIn", { kind: "newPasswordRequired" })
      .script("completeNewPassword", { kind: "signedIn", tokens: tokens() });
    const { m } = await atSignIn(backend);
    expect((await m.submitCredentials(ANN, "Temp-password-1")).name).toBe("newPassword");

    const short = await m.submitNewPassword("Short-1!", "Short-1!");
    expect(short).toMatchObject({ name: "newPassword", error: expect.stringContaining("at least 14 characters") });
    const noSymbol = await m.submitNewPassword("Abcdefghijklmn1", "Abcdefghijklmn1");
    expect(noSymbol.error).toBe("The new password needs a symbol such as ! ? # % & * or -.");
    expect((await m.submitNewPassword(GOOD, "Correct-Horse-43!")).error).toBe("The two passwords are not the same.");
    expect(backend.called("completeNewPassword")).toEqual([]);

    expect(await m.submitNewPassword(GOOD, GOOD)).toMatchObject({ name: "signedIn" });
    expect(backend.called("completeNewPassword")).toEqual([[GOOD]]);
  });

  it("shows Cognito's refusal of the new password as a sentence", async () => {
    const backend = new FakeBackend()
      .script("signIn", { kind: "newPasswordRequired" })
      .script("completeNewPassword", failure("InvalidPasswordException", "Password has previously been used"));
    const { m } = await atSignIn(backend);
    await m.submitCredentials(ANN, "Temp");
    expect(await m.submitNewPassword(GOOD, GOOD)).toMatchObject({ name: "newPassword", error: SENTENCES.passwordRejected });
  });

  it("returns to sign-in when the challenge session expired", async () => {
    const backend = new FakeBackend()
      .script("signIn", { kind: "newPasswordRequired" })
      .script("completeNewPassword", failure("NotAuthorizedException", "Invalid session for the user, session is expired."));
    const { m } = await atSignIn(backend);
    await m.submitCredentials(ANN, "Temp");
    expect(await m.submitNewPassword(GOOD, GOOD)).toEqual({ name: "signIn", email: ANN, busy: false, error: SENTENCES.sessionExpired });
  });

  it("goes on to the TOTP challenge when the user has MFA", async () => {
    const backend = new FakeBackend()
      .script("signIn", { kind: "newPasswordRequired" })
      .script("completeNewPassword", { kind: "totpRequired" });
    const { m } = await atSignIn(backend);
    await m.submitCredentials(ANN, "Temp");
    expect((await m.submitNewPassword(GOOD, GOOD)).name).toBe("totp");
  });
});

describe("SOFTWARE_TOKEN_MFA", () => {
  async function atTotp(backend: FakeBackend) {
    const made = await atSignIn(backend.script("signIn", { kind: "totpRequired" }), "required");
    await made.m.submitCredentials(ANN, "pw");
    expect(made.m.state.name).toBe("totp");
    return made;
  }

  it("sends the six digits (spaces removed) and signs in", async () => {
    const backend = new FakeBackend().script("sendTotpCode", { kind: "signedIn", tokens: tokens() });
    const { m } = await atTotp(backend);
    expect(await m.submitTotp("123 456")).toMatchObject({ name: "signedIn", totpEnabled: true });
    expect(backend.called("sendTotpCode")).toEqual([["123456"]]);
  });

  it("refuses a malformed code without calling Cognito", async () => {
    const backend = new FakeBackend();
    const { m } = await atTotp(backend);
    expect((await m.submitTotp("12a456")).error).toMatch(/6-digit/);
    expect(backend.called("sendTotpCode")).toEqual([]);
  });

  it("stays on the code form after a wrong code, and accepts the next", async () => {
    const backend = new FakeBackend().script(
      "sendTotpCode",
      failure("CodeMismatchException", "Invalid code received for user"),
      { kind: "signedIn", tokens: tokens() },
    );
    const { m } = await atTotp(backend);
    expect(await m.submitTotp("000000")).toEqual({ name: "totp", email: ANN, busy: false, error: SENTENCES.wrongTotp });
    expect((await m.submitTotp("123456")).name).toBe("signedIn");
  });

  it("returns to sign-in when the three-minute session ran out", async () => {
    const backend = new FakeBackend().script("sendTotpCode", failure("NotAuthorizedException", "Invalid session for the user, session is expired."));
    const { m } = await atTotp(backend);
    expect(await m.submitTotp("123456")).toMatchObject({ name: "signIn", error: SENTENCES.sessionExpired });
  });

  it("cancel goes back to the sign-in form with the address kept", async () => {
    const { m } = await atTotp(new FakeBackend());
    expect(m.backToSignIn()).toEqual({ name: "signIn", email: ANN, busy: false });
  });
});

describe("MFA_SETUP (pool requires MFA)", () => {
  async function atSetup(backend: FakeBackend) {
    backend.script("signIn", { kind: "mfaSetupRequired" }).script("associateTotp", "SECRETBASE32");
    const made = await atSignIn(backend, "required");
    await made.m.submitCredentials(ANN, "pw");
    return made;
  }

  it("shows the secret and an otpauth URI, cannot be skipped, and signs in after the code", async () => {
    const backend = new FakeBackend().script("verifyTotp", { kind: "signedIn", tokens: tokens() });
    const { m } = await atSetup(backend);
    expect(m.state).toMatchObject({
      name: "totpSetup",
      required: true,
      secret: "SECRETBASE32",
      uri: "otpauth://totp/privatecast:ann%40example.com?secret=SECRETBASE32&issuer=privatecast",
    });
    expect(m.skipTotpSetup().name).toBe("totpSetup");
    expect(await m.submitTotpSetup("654321")).toMatchObject({ name: "signedIn", totpEnabled: true, notice: expect.stringContaining("on") });
    expect(backend.called("verifyTotp")).toEqual([["654321"]]);
  });

  it("keeps the same secret after a wrong code", async () => {
    const backend = new FakeBackend().script("verifyTotp", failure("EnableSoftwareTokenMFAException", "Code mismatch"));
    const { m } = await atSetup(backend);
    expect(await m.submitTotpSetup("111111")).toMatchObject({ name: "totpSetup", secret: "SECRETBASE32", error: SENTENCES.wrongTotp });
    expect(backend.called("associateTotp")).toHaveLength(1);
  });

  it("returns to sign-in when the setup session expired", async () => {
    const backend = new FakeBackend().script("verifyTotp", failure("NotAuthorizedException", "Invalid session for the user, session is expired."));
    const { m } = await atSetup(backend);
    expect(await m.submitTotpSetup("111111")).toMatchObject({ name: "signIn", error: SENTENCES.sessionExpired });
  });
});

describe("optional MFA enrolment after sign-in", () => {
  it("is offered to a user without TOTP and can be skipped", async () => {
    const backend = new FakeBackend()
      .script("signIn", { kind: "signedIn", tokens: tokens() })
      .script("hasTotp", false)
      .script("associateTotp", "OPTIONALSECRET");
    const { m } = await atSignIn(backend, "optional");
    expect(await m.submitCredentials(ANN, "pw")).toMatchObject({ name: "totpSetup", required: false, secret: "OPTIONALSECRET" });
    expect(m.skipTotpSetup()).toMatchObject({ name: "signedIn", totpEnabled: false, tokens: { email: ANN } });
  });

  it("turns TOTP on when the code is right", async () => {
    const backend = new FakeBackend()
      .script("signIn", { kind: "signedIn", tokens: tokens() })
      .script("hasTotp", false)
      .script("associateTotp", "OPTIONALSECRET")
      .script("verifyTotp", { kind: "signedIn", tokens: tokens() });
    const { m } = await atSignIn(backend, "optional");
    await m.submitCredentials(ANN, "pw");
    expect(await m.submitTotpSetup("123456")).toMatchObject({ name: "signedIn", totpEnabled: true });
  });

  it("is not offered to a user who has TOTP, nor when the pool has MFA off", async () => {
    const has = new FakeBackend().script("signIn", { kind: "signedIn", tokens: tokens() }).script("hasTotp", true);
    const a = await atSignIn(has, "optional");
    expect(await a.m.submitCredentials(ANN, "pw")).toMatchObject({ name: "signedIn", totpEnabled: true });
    const off = new FakeBackend().script("signIn", { kind: "signedIn", tokens: tokens() });
    const b = await atSignIn(off, "off");
    expect((await b.m.submitCredentials(ANN, "pw")).name).toBe("signedIn");
    expect(off.called("hasTotp")).toEqual([]);
  });

  it("can be started later from the signed-in page", async () => {
    const backend = new FakeBackend().script("restore", tokens()).script("hasTotp", false).script("associateTotp", "LATER");
    const { m } = machine(backend, "optional");
    expect(await m.start()).toMatchObject({ name: "signedIn", totpEnabled: false });
    expect(await m.beginTotpSetup()).toMatchObject({ name: "totpSetup", required: false, secret: "LATER" });
  });
});

describe("forgotten password", () => {
  it("sends a code, then sets the new password and returns to sign-in", async () => {
    const backend = new FakeBackend().script("forgotPassword", "a***@e***").script("confirmForgotPassword", undefined);
    const { m } = await atSignIn(backend);
    expect(m.showForgotPassword().name).toBe("forgot");
    expect(await m.requestResetCode(ANN)).toEqual({ name: "forgotConfirm", email: ANN, destination: "a***@e***", busy: false });
    expect((await m.confirmReset("12 34 56", "short", "short")).error).toMatch(/at least 14/);
    const state = await m.confirmReset("123456", GOOD, GOOD);
    expect(backend.called("confirmForgotPassword")).toEqual([[ANN, "123456", GOOD]]);
    expect(state).toMatchObject({ name: "signIn", email: ANN, notice: expect.stringContaining("changed") });
  });

  it("says when the code is wrong or expired", async () => {
    const backend = new FakeBackend()
      .script("forgotPassword", null)
      .script("confirmForgotPassword", failure("CodeMismatchException", "Invalid verification code provided"), failure("ExpiredCodeException", "expired"));
    const { m } = await atSignIn(backend);
    await m.requestResetCode(ANN);
    expect((await m.confirmReset("123456", GOOD, GOOD)).error).toBe(SENTENCES.wrongResetCode);
    expect((await m.confirmReset("123456", GOOD, GOOD)).error).toBe(SENTENCES.expiredResetCode);
    expect(m.state.name).toBe("forgotConfirm");
  });

  it("words Cognito's throttling", async () => {
    const { m } = await atSignIn(new FakeBackend().script("forgotPassword", failure("LimitExceededException", "Attempt limit exceeded")));
    expect(await m.requestResetCode(ANN)).toMatchObject({ name: "forgot", error: SENTENCES.tooManyAttempts });
  });
});

describe("refresh and sign-out", () => {
  it("replaces the tokens on refresh and ends the session when refresh is refused", async () => {
    const fresh = tokens(ANN, ["viewers"], 7_200_000);
    const backend = new FakeBackend()
      .script("restore", tokens())
      .script("refresh", fresh, failure("NotAuthorizedException", "Refresh Token has been revoked"))
      .script("signOut", undefined);
    const { m } = machine(backend);
    await m.start();
    expect(await m.refresh()).toMatchObject({ name: "signedIn", tokens: { expiresAt: 7_200_000 } });
    expect(await m.refresh()).toEqual({ name: "signIn", email: ANN, busy: false, error: SENTENCES.sessionEnded });
    expect(backend.called("signOut")).toHaveLength(1);
  });

  it("keeps the session when refresh fails for want of network (the caller retries)", async () => {
    const backend = new FakeBackend().script("restore", tokens()).script("refresh", failure("NetworkError", "Network error"));
    const { m } = machine(backend);
    await m.start();
    await expect(m.refresh()).rejects.toMatchObject({ code: "NetworkError" });
    expect(m.state.name).toBe("signedIn");
  });

  it("signs out through the backend even when revocation fails", async () => {
    const backend = new FakeBackend().script("restore", tokens()).script("signOut", failure("NetworkError", "Network error"));
    const { m } = machine(backend);
    await m.start();
    expect(await m.signOut()).toEqual({ name: "signIn", email: ANN, busy: false, notice: "You are signed out." });
    expect(backend.called("signOut")).toHaveLength(1);
  });
});
