// The pool's password rules, shown before the user types and checked before sending.
import type { PasswordPolicy } from "../config";

export interface Rule {
  id: "length" | "lowercase" | "uppercase" | "number" | "symbol";
  text: string;
  test: (password: string) => boolean;
}

// Cognito's symbol set (its documentation lists these characters).
const SYMBOLS = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- ";

export function passwordRules(policy: PasswordPolicy): Rule[] {
  const rules: Rule[] = [
    {
      id: "length",
      text: `At least ${policy.minimumLength} characters`,
      test: (p) => [...p].length >= policy.minimumLength,
    },
  ];
  if (policy.requireLowercase) {
    rules.push({ id: "lowercase", text: "A lowercase letter (a-z)", test: (p) => /[a-z]/.test(p) });
  }
  if (policy.requireUppercase) {
    rules.push({ id: "uppercase", text: "An uppercase letter (A-Z)", test: (p) => /[A-Z]/.test(p) });
  }
  if (policy.requireNumbers) {
    rules.push({ id: "number", text: "A number (0-9)", test: (p) => /[0-9]/.test(p) });
  }
  if (policy.requireSymbols) {
    rules.push({
      id: "symbol",
      text: "A symbol such as ! ? # % & * or -",
      test: (p) => [...p].some((c) => SYMBOLS.includes(c)),
    });
  }
  return rules;
}

/** The sentence that says what a new password still lacks, or null when it is acceptable. */
export function passwordProblem(policy: PasswordPolicy, password: string, repeated: string): string | null {
  if (password.trim() !== password) return "The password cannot start or end with a space.";
  const missing = passwordRules(policy).filter((rule) => !rule.test(password));
  if (missing.length > 0) {
    const list = missing.map((rule) => rule.text.charAt(0).toLowerCase() + rule.text.slice(1));
    return `The new password needs ${list.join(", ")}.`;
  }
  if (password !== repeated) return "The two passwords are not the same.";
  return null;
}
