import { describe, expect, it } from "vitest";
import { forgetStoredTokens } from "../src/auth/cognito";
import { passwordProblem, passwordRules } from "../src/auth/password";
import { normaliseCode, otpauthUri } from "../src/auth/totp";
import { ConfigError, DEFAULT_PASSWORD_POLICY, parseConfig } from "../src/config";
import { formatDuration, formatSize, maintenanceText, serversSummary } from "../src/format";

describe("config.json", () => {
  it("fills the optional fields with defaults", () => {
    const config = parseConfig({ region: "eu-west-1", userPoolId: "eu-west-1_x", clientId: "c" });
    expect(config).toEqual({
      region: "eu-west-1",
      userPoolId: "eu-west-1_x",
      clientId: "c",
      cognitoEndpoint: "https://cognito-idp.eu-west-1.amazonaws.com/",
      mfa: "optional",
      passwordPolicy: DEFAULT_PASSWORD_POLICY,
      livePlaylist: "/hls/0/stream.m3u8",
      adminGroup: "admins",
      totpIssuer: "privatecast",
    });
  });

  it("takes the given values and ignores malformed ones", () => {
    const config = parseConfig({
      region: "us-east-1",
      userPoolId: "p",
      clientId: "c",
      cognitoEndpoint: "http://127.0.0.1:5103/",
      mfa: "required",
      passwordPolicy: { minimumLength: 8, requireSymbols: false, requireNumbers: "yes" },
      adminGroup: "ops",
    });
    expect(config.cognitoEndpoint).toBe("http://127.0.0.1:5103/");
    expect(config.mfa).toBe("required");
    expect(config.passwordPolicy).toEqual({ ...DEFAULT_PASSWORD_POLICY, minimumLength: 8, requireSymbols: false });
    expect(config.adminGroup).toBe("ops");
    expect(parseConfig({ region: "r", userPoolId: "p", clientId: "c", mfa: "sms" }).mfa).toBe("optional");
  });

  it("refuses a config without pool or client", () => {
    expect(() => parseConfig({ region: "r", userPoolId: "p" })).toThrow(ConfigError);
    expect(() => parseConfig(null)).toThrow(ConfigError);
  });
});

describe("password rules", () => {
  it("lists only the rules the pool has", () => {
    const ids = passwordRules({ ...DEFAULT_PASSWORD_POLICY, requireSymbols: false, requireUppercase: false }).map((r) => r.id);
    expect(ids).toEqual(["length", "lowercase", "number"]);
  });

  it("names what is missing", () => {
    expect(passwordProblem(DEFAULT_PASSWORD_POLICY, "abcdefghijklmnop", "abcdefghijklmnop")).toBe(
      "The new password needs an uppercase letter (A-Z), a number (0-9), a symbol such as ! ? # % & * or -.",
    );
    expect(passwordProblem(DEFAULT_PASSWORD_POLICY, " Abcdefghijk1-m", " Abcdefghijk1-m")).toMatch(/space/);
    expect(passwordProblem(DEFAULT_PASSWORD_POLICY, "Abcdefghijk1-mn", "Abcdefghijk1-mn")).toBeNull();
  });
});

describe("TOTP", () => {
  it("builds the otpauth URI an authenticator reads", () => {
    expect(otpauthUri("privatecast", "a b@example.com", "JBSWY3DPEHPK3PXP")).toBe(
      "otpauth://totp/privatecast:a%20b%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=privatecast",
    );
  });

  it("accepts six digits with spaces, nothing else", () => {
    expect(normaliseCode(" 123 456 ")).toBe("123456");
    expect(normaliseCode("12345")).toBeNull();
    expect(normaliseCode("1234567")).toBeNull();
    expect(normaliseCode("12345a")).toBeNull();
  });
});

describe("formatting", () => {
  it("durations, sizes and server summaries", () => {
    expect(formatDuration(59)).toBe("0:59");
    expect(formatDuration(3723)).toBe("1:02:03");
    expect(formatSize(999)).toBe("999 bytes");
    expect(formatSize(123_456_789)).toBe("123 MB");
    expect(formatSize(1_500_000_000)).toBe("1.5 GB");
    expect(serversSummary(["running", "pending"])).toBe("changing");
    expect(serversSummary(["stopped", "stopped"])).toBe("stopped");
    expect(serversSummary(["running", "running"])).toBe("running");
    expect(serversSummary(["running", "stopped"])).toBe("mixed");
    expect(serversSummary(["absent", "absent"])).toBe("absent");
    expect(maintenanceText("open")).toBe("A maintenance window is open.");
  });
});

describe("sign-out forgets the library's tokens", () => {
  class MemoryStorage implements Storage {
    private readonly data = new Map<string, string>();
    get length(): number {
      return this.data.size;
    }
    key(index: number): string | null {
      return [...this.data.keys()][index] ?? null;
    }
    getItem(key: string): string | null {
      return this.data.get(key) ?? null;
    }
    setItem(key: string, value: string): void {
      this.data.set(key, value);
    }
    removeItem(key: string): void {
      this.data.delete(key);
    }
    clear(): void {
      this.data.clear();
    }
  }

  it("removes every key of this client and leaves the rest", () => {
    const storage = new MemoryStorage();
    const p = "CognitoIdentityServiceProvider.client1";
    for (const suffix of ["LastAuthUser", "ann.idToken", "ann.accessToken", "ann.refreshToken", "ann.clockDrift", "ann.userData", "ann.deviceKey"]) {
      storage.setItem(`${p}.${suffix}`, "x");
    }
    storage.setItem("CognitoIdentityServiceProvider.other.LastAuthUser", "bob");
    storage.setItem("unrelated", "keep");
    forgetStoredTokens(storage, "client1");
    expect([...Array(storage.length).keys()].map((i) => storage.key(i)).sort()).toEqual([
      "CognitoIdentityServiceProvider.other.LastAuthUser",
      "unrelated",
    ]);
  });
});
