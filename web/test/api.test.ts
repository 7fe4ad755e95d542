import { describe, expect, it, vi } from "vitest";
import { API_SENTENCES, ApiClient, ApiError, sentenceForStatus } from "../src/api";

function json(status: number, body: unknown): Response {
  return new Response(status === 204 ? null : JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

function client(responses: Array<Response | Error>, token: string | null = "tok") {
  const fetch = vi.fn(async (_path: string, _init?: RequestInit) => {
    const next = responses.shift();
    if (!next) throw new Error("no more responses");
    if (next instanceof Error) throw next;
    return next;
  });
  const unauthorized = vi.fn();
  const api = new ApiClient({ token: async () => token, onUnauthorized: unauthorized, fetch: fetch as unknown as typeof globalThis.fetch });
  return { api, fetch, unauthorized };
}

async function failureOf(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error("expected an ApiError");
}

describe("status -> sentence", () => {
  it.each([
    [0, API_SENTENCES.network],
    [400, API_SENTENCES[400]],
    [401, API_SENTENCES[401]],
    [403, API_SENTENCES[403]],
    [404, API_SENTENCES[404]],
    [409, API_SENTENCES[409]],
    [429, API_SENTENCES[429]],
    [500, API_SENTENCES.server],
    [502, API_SENTENCES.server],
    [503, API_SENTENCES.server],
    [418, API_SENTENCES.unexpected],
  ])("%i", (status, sentence) => {
    expect(sentenceForStatus(status)).toBe(sentence);
    expect(sentence).toMatch(/^[A-Z].*\.$/);
    expect(sentence).not.toMatch(/\d{3}/);
  });

  it("lets a call word its own cases", () => {
    expect(sentenceForStatus(409, { 409: "Busy." })).toBe("Busy.");
    expect(sentenceForStatus(500, { 409: "Busy." })).toBe(API_SENTENCES.server);
  });
});

describe("ApiClient", () => {
  it("sends the access token and parses the answer", async () => {
    const status = { servers: {}, stream: { live: false, newest_segment_age_seconds: null }, maintenance: { status: "closed", opened_at: null } };
    const { api, fetch } = client([json(200, status)]);
    expect(await api.status()).toEqual(status);
    const [path, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(path).toBe("/api/status");
    expect((init.headers as Record<string, string>).Authorization).toBe("Bearer tok");
  });

  it("asks for pages with limit and next, and deletes by id", async () => {
    const { api, fetch } = client([json(200, { recordings: [], next: null }), json(204, null)]);
    await api.recordings(20, "abc/def");
    expect(fetch.mock.calls[0]?.[0]).toBe("/api/recordings?limit=20&next=abc%2Fdef");
    expect(await api.deleteRecording("s-1")).toBeUndefined();
    expect(fetch.mock.calls[1]?.[0]).toBe("/api/recordings/s-1");
    expect((fetch.mock.calls[1]?.[1] as RequestInit).method).toBe("DELETE");
  });

  it("a 401 sends the page back to sign-in, once per call", async () => {
    const { api, unauthorized } = client([json(401, { message: "Unauthorized" })]);
    const error = await failureOf(api.status());
    expect(error.status).toBe(401);
    expect(error.sentence).toBe(API_SENTENCES[401]);
    expect(unauthorized).toHaveBeenCalledTimes(1);
    expect(unauthorized).toHaveBeenCalledWith(API_SENTENCES[401]);
  });

  it("without a token it does not call the API and asks for sign-in", async () => {
    const { api, fetch, unauthorized } = client([], null);
    expect((await failureOf(api.status())).status).toBe(401);
    expect(fetch).not.toHaveBeenCalled();
    expect(unauthorized).toHaveBeenCalledTimes(1);
  });

  it("409 on start says the servers are changing state", async () => {
    const { api, unauthorized } = client([json(409, { message: "instance i-1 is pending" })]);
    const error = await failureOf(api.startServers());
    expect(error.status).toBe(409);
    expect(error.sentence).toMatch(/changing state/);
    expect(error.sentence).not.toMatch(/i-1|pending/);
    expect(unauthorized).not.toHaveBeenCalled();
  });

  it("403 and 404 word their call", async () => {
    const { api } = client([json(403, { message: "Forbidden" }), json(404, { message: "no such recording" })]);
    expect((await failureOf(api.deleteRecording("x"))).sentence).toBe("Only administrators can delete recordings.");
    expect((await failureOf(api.deleteRecording("x"))).sentence).toMatch(/not there any more/);
  });

  it("network down and 5xx become sentences", async () => {
    const { api } = client([new TypeError("Failed to fetch"), json(502, { message: "Internal Server Error" })]);
    const down = await failureOf(api.status());
    expect(down.status).toBe(0);
    expect(down.sentence).toBe(API_SENTENCES.network);
    expect((await failureOf(api.status())).sentence).toBe(API_SENTENCES.server);
  });

  it("session returns the lifetimes and refuses a malformed answer", async () => {
    const { api } = client([json(200, { lifetimes: { hls: 3600, recordings: 1800 } }), json(200, { lifetimes: {} })]);
    expect(await api.session()).toEqual({ hls: 3600, recordings: 1800 });
    expect((await failureOf(api.session())).sentence).toBe(API_SENTENCES.unexpected);
  });
});
