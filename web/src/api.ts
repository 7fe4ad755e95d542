// The page's API client: /api/* on the page's own origin with the Cognito access token.
// Every failure becomes an ApiError whose `sentence` is fit to show.

export interface ServerState {
  instance_id: string | null;
  state: string;
}

export interface Status {
  servers: Record<string, ServerState>;
  stream: { live: boolean; newest_segment_age_seconds: number | null };
  maintenance: { status: "open" | "partial" | "closed" | "unknown"; opened_at: string | null };
}

export interface Lifetimes {
  hls: number;
  recordings: number;
}

export interface Recording {
  id: string;
  start: number;
  duration: number;
  size: number;
  variants: string[];
  live: boolean;
  updated: number;
  playlist: string;
}

export interface RecordingsPage {
  recordings: Recording[];
  next: string | null;
}

export type Sentences = Partial<Record<number | "network", string>>;

export const API_SENTENCES = {
  network: "The service cannot be reached. Check your connection and try again.",
  400: "The service did not accept the request. Reload the page and try again.",
  401: "Your sign-in has expired. Sign in again.",
  403: "Your account is not allowed to do that. Ask an administrator if you need it.",
  404: "That is not there any more. It may have been deleted.",
  409: "That cannot be done right now. Wait a moment and try again.",
  429: "Too many requests. Wait a moment and try again.",
  server: "The service has a problem right now. Try again in a minute.",
  unexpected: "The service gave an answer the page does not understand. Reload the page and try again.",
} as const;

export class ApiError extends Error {
  constructor(
    /** HTTP status, or 0 when the request never got an answer. */
    readonly status: number,
    readonly sentence: string,
  ) {
    super(sentence);
    this.name = "ApiError";
  }
}

/** The sentence for an HTTP status (0 = no answer); `overrides` word a call's own cases. */
export function sentenceForStatus(status: number, overrides: Sentences = {}): string {
  if (status === 0) return overrides.network ?? API_SENTENCES.network;
  const own = overrides[status];
  if (own) return own;
  if (status === 400 || status === 401 || status === 403 || status === 404 || status === 409 || status === 429) {
    return API_SENTENCES[status];
  }
  if (status >= 500) return API_SENTENCES.server;
  return API_SENTENCES.unexpected;
}

export interface ApiOptions {
  /** The current access token (refreshed when near expiry), or null when signed out. */
  token: () => Promise<string | null>;
  /** Called once per 401: the page returns to the sign-in form. */
  onUnauthorized: (sentence: string) => void;
  fetch?: typeof fetch;
}

export class ApiClient {
  private readonly fetchFn: typeof fetch;

  constructor(private readonly options: ApiOptions) {
    this.fetchFn = options.fetch ?? ((input, init) => fetch(input, init));
  }

  private async request<T>(method: string, path: string, overrides: Sentences = {}): Promise<T> {
    const token = await this.options.token();
    if (!token) {
      this.options.onUnauthorized(API_SENTENCES[401]);
      throw new ApiError(401, API_SENTENCES[401]);
    }
    let response: Response;
    try {
      response = await this.fetchFn(path, {
        method,
        headers: { Authorization: `Bearer ${token}`, Accept: "application/json" },
        credentials: "same-origin",
        cache: "no-store",
      });
    } catch {
      throw new ApiError(0, sentenceForStatus(0, overrides));
    }
    if (response.status === 401) {
      const sentence = sentenceForStatus(401, overrides);
      this.options.onUnauthorized(sentence);
      throw new ApiError(401, sentence);
    }
    if (!response.ok) throw new ApiError(response.status, sentenceForStatus(response.status, overrides));
    if (response.status === 204) return undefined as T;
    try {
      return (await response.json()) as T;
    } catch {
      throw new ApiError(response.status, API_SENTENCES.unexpected);
    }
  }

  status(): Promise<Status> {
    return this.request("GET", "/api/status");
  }

  startServers(): Promise<{ servers: Record<string, ServerState>; changed: string[] }> {
    return this.request("POST", "/api/servers/start", {
      409: "The servers are changing state right now. Wait until they settle, then try again.",
      403: "Only administrators can start the servers.",
    });
  }

  stopServers(): Promise<{ servers: Record<string, ServerState>; changed: string[] }> {
    return this.request("POST", "/api/servers/stop", {
      409: "The servers are changing state right now. Wait until they settle, then try again.",
      403: "Only administrators can stop the servers.",
    });
  }

  /** Gets the signed video cookies; answers how long each grant lasts. */
  async session(): Promise<Lifetimes> {
    const body = await this.request<{ lifetimes?: Partial<Lifetimes> }>("POST", "/api/session", {
      403: "Your account may not watch video. Ask an administrator to add you to the viewers.",
    });
    const hls = Number(body?.lifetimes?.hls);
    const recordings = Number(body?.lifetimes?.recordings);
    if (!(hls > 0) || !(recordings > 0)) throw new ApiError(200, API_SENTENCES.unexpected);
    return { hls, recordings };
  }

  signout(): Promise<void> {
    return this.request("POST", "/api/signout");
  }

  recordings(limit: number, next: string | null = null): Promise<RecordingsPage> {
    const query = new URLSearchParams({ limit: String(limit) });
    if (next) query.set("next", next);
    return this.request("GET", `/api/recordings?${query.toString()}`, {
      403: "Your account may not see the recordings. Ask an administrator to add you to the viewers.",
    });
  }

  deleteRecording(id: string): Promise<void> {
    return this.request("DELETE", `/api/recordings/${encodeURIComponent(id)}`, {
      403: "Only administrators can delete recordings.",
      404: "That recording is not there any more: someone may have deleted it already.",
    });
  }
}
