// Cognito failures as sentences for people. Never shows Cognito's own codes.
import { AuthFailure } from "./backend";

export type Context = "signIn" | "newPassword" | "totp" | "totpSetup" | "forgot" | "forgotConfirm" | "refresh";

export const SENTENCES = {
  wrongPassword: "The e-mail address or password is not right.",
  tooManyAttempts: "Too many attempts. Wait a few minutes and try again.",
  disabled: "This account is turned off. Ask an administrator.",
  notConfirmed: "This account is not ready yet. Ask an administrator.",
  sessionExpired: "That took too long, so the sign-in was cancelled. Sign in again.",
  sessionEnded: "Your session has ended. Sign in again.",
  wrongTotp: "That code is not right. Enter the current code from your authenticator app.",
  wrongResetCode: "That code is not right. Check the e-mail and try again.",
  expiredResetCode: "That code has expired. Ask for a new one.",
  passwordRejected: "The new password was not accepted. Follow the rules shown and do not reuse an old password.",
  cannotReset: "The password of this account cannot be reset here. Ask an administrator.",
  network: "The sign-in service cannot be reached. Check your connection and try again.",
  checkInput: "Check what you entered and try again.",
  generic: "Sign-in did not work. Try again in a moment.",
} as const;

export function isExpiredSession(failure: AuthFailure): boolean {
  return failure.code === "NotAuthorizedException" && /session/i.test(failure.message);
}

export function asFailure(error: unknown): AuthFailure {
  if (error instanceof AuthFailure) return error;
  if (error instanceof Error) return new AuthFailure(error.name || "Error", error.message);
  return new AuthFailure("Error", String(error));
}

function notAuthorized(failure: AuthFailure, context: Context): string {
  if (isExpiredSession(failure)) return SENTENCES.sessionExpired;
  if (/attempts exceeded/i.test(failure.message)) return SENTENCES.tooManyAttempts;
  if (/disabled/i.test(failure.message)) return SENTENCES.disabled;
  if (/revoked|refresh token/i.test(failure.message) || context === "refresh") return SENTENCES.sessionEnded;
  if (context === "totp" || context === "totpSetup") return SENTENCES.wrongTotp;
  return SENTENCES.wrongPassword;
}

export function sentenceFor(error: unknown, context: Context): string {
  const failure = asFailure(error);
  switch (failure.code) {
    case "NotAuthorizedException":
      return notAuthorized(failure, context);
    case "UserNotFoundException":
      return context === "forgot" || context === "forgotConfirm" ? SENTENCES.cannotReset : SENTENCES.wrongPassword;
    case "UserNotConfirmedException":
      return SENTENCES.notConfirmed;
    case "CodeMismatchException":
    case "EnableSoftwareTokenMFAException":
      return context === "forgotConfirm" ? SENTENCES.wrongResetCode : SENTENCES.wrongTotp;
    case "ExpiredCodeException":
      return context === "forgotConfirm" ? SENTENCES.expiredResetCode : SENTENCES.wrongTotp;
    case "InvalidPasswordException":
      return SENTENCES.passwordRejected;
    case "LimitExceededException":
    case "TooManyRequestsException":
    case "TooManyFailedAttemptsException":
      return SENTENCES.tooManyAttempts;
    case "InvalidParameterException":
      return context === "forgot" ? SENTENCES.cannotReset : SENTENCES.checkInput;
    case "NetworkError":
      return SENTENCES.network;
    default:
      return SENTENCES.generic;
  }
}
