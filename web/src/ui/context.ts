import type { ApiClient } from "../api";
import type { Config } from "../config";

/** What the signed-in views share. */
export interface AppContext {
  config: Config;
  api: ApiClient;
  isAdmin: boolean;
  /** Resolves once the signed video cookies are set (true) or could not be (false). */
  cookiesReady(): Promise<boolean>;
  /** Renews the signed cookies now (a player met a 403). */
  renewCookies(): Promise<boolean>;
}
