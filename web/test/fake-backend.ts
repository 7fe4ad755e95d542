// A scripted AuthBackend: each call takes the next answer queued for its method.
import { type AuthBackend, AuthFailure, type Step, type Tokens } from "../src/auth/backend";

type Answer<T> = T | AuthFailure;
type Method = keyof AuthBackend;

export function tokens(email = "ann@example.com", groups: string[] = ["viewers"], expiresAt = 3_600_000): Tokens {
  return { accessToken: `access-${email}`, idToken: `id-${email}`, expiresAt, email, groups };
}

export const failure = (code: string, message = ""): AuthFailure => new AuthFailure(code, message);

export class FakeBackend implements AuthBackend {
  readonly calls: Array<[Method, ...unknown[]]> = [];
  private readonly answers = new Map<Method, unknown[]>();

  script<M extends Method>(method: M, ...answers: Array<Answer<Awaited<ReturnType<AuthBackend[M]>>>>): this {
    this.answers.set(method, [...(this.answers.get(method) ?? []), ...answers]);
    return this;
  }

  called(method: Method): unknown[][] {
    return this.calls.filter(([name]) => name === method).map(([, ...args]) => args);
  }

  private async next<T>(method: Method, ...args: unknown[]): Promise<T> {
    this.calls.push([method, ...args]);
    const queue = this.answers.get(method) ?? [];
    if (queue.length === 0) throw new Error(`unexpected call: ${method}`);
    const answer = queue.shift();
    if (answer instanceof AuthFailure) throw answer;
    return answer as T;
  }

  signIn(email: string, password: string): Promise<Step> {
    return this.next("signIn", email, password);
  }
  completeNewPassword(password: string): Promise<Step> {
    return this.next("completeNewPassword", password);
  }
  sendTotpCode(code: string): Promise<Step> {
    return this.next("sendTotpCode", code);
  }
  associateTotp(): Promise<string> {
    return this.next("associateTotp");
  }
  verifyTotp(code: string): Promise<Step> {
    return this.next("verifyTotp", code);
  }
  hasTotp(): Promise<boolean> {
    return this.next("hasTotp");
  }
  forgotPassword(email: string): Promise<string | null> {
    return this.next("forgotPassword", email);
  }
  confirmForgotPassword(email: string, code: string, password: string): Promise<void> {
    return this.next("confirmForgotPassword", email, code, password);
  }
  restore(): Promise<Tokens | null> {
    return this.next("restore");
  }
  refresh(): Promise<Tokens> {
    return this.next("refresh");
  }
  signOut(): Promise<void> {
    return this.next("signOut");
  }
}
