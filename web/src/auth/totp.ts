// The otpauth:// address an authenticator app reads from the enrolment QR code.

export function otpauthUri(issuer: string, account: string, secret: string): string {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(account)}`;
  const query = new URLSearchParams({ secret, issuer });
  return `otpauth://totp/${label}?${query.toString()}`;
}

/** A six-digit code with spaces removed, or null when it is not six digits. */
export function normaliseCode(raw: string): string | null {
  const code = raw.replace(/\s+/g, "");
  return /^[0-9]{6}$/.test(code) ? code : null;
}
