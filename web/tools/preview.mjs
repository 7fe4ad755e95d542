// Looks at the built page as a person would: serves it on 127.0.0.1 under the production
// Content-Security-Policy with stubbed /config.json, /api/* and Cognito answers, drives
// Debian's Chromium at 360x640 through the main views, saves screenshots and fails on a
// CSP violation, a page error or playback that does not advance.
//   node tools/preview.mjs <built site dir> <screenshot dir>
// Needs /usr/bin/chromium and ffmpeg (for a short test video). Not part of the build.
import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, existsSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { extname, join, normalize, resolve } from "node:path";
import { chromium } from "playwright-core";

const [siteArg, shotsArg] = process.argv.slice(2);
if (!siteArg || !shotsArg) {
  console.error("usage: node tools/preview.mjs <built site dir> <screenshot dir>");
  process.exit(2);
}
const site = resolve(siteArg);
const shots = resolve(shotsArg);
mkdirSync(shots, { recursive: true });

const CLIENT_ID = "previewclient";
const USER = "ann@example.com";
const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml", ".m3u8": "application/vnd.apple.mpegurl", ".ts": "video/mp2t", ".json": "application/json" };

// A short HLS video to play under the signed-cookie stand-in.
const video = mkdtempSync(join(tmpdir(), "preview-hls-"));
execFileSync("ffmpeg", ["-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=640x360:rate=25", "-f", "lavfi", "-i", "sine=frequency=440", "-t", "10", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-g", "50", "-c:a", "aac", "-f", "hls", "-hls_time", "2", "-hls_playlist_type", "vod", "-hls_segment_filename", join(video, "seg-%d.ts"), join(video, "stream.m3u8")]);

const state = {
  status: { servers: { proxy: { instance_id: "i-1", state: "stopped" }, owncast: { instance_id: "i-2", state: "stopped" } }, stream: { live: false, newest_segment_age_seconds: null }, maintenance: { status: "closed", opened_at: null } },
  sessions: 0,
  staleFirst: false,
  forbidden: 0,
  deleted: [],
  requests: [],
};

const now = Math.floor(Date.now() / 1000);
const recordings = Array.from({ length: 25 }, (_, i) => ({
  id: `s${i}`, start: now - 3600 * (i + 1) * 7, duration: 600 + i * 431, size: 80_000_000 + i * 13_000_000,
  variants: ["0"], live: i === 0, updated: now - i * 100, playlist: `/recordings/s${i}/master.m3u8`,
}));

function send(res, status, body, headers = {}) {
  res.writeHead(status, { "Content-Type": "application/json", ...headers });
  res.end(body === null ? undefined : JSON.stringify(body));
}

function serveFile(res, path, headers = {}) {
  if (!existsSync(path)) return send(res, 404, { message: "Not Found" });
  res.writeHead(200, { "Content-Type": TYPES[extname(path)] ?? "application/octet-stream", ...headers });
  res.end(readFileSync(path));
}

function cognito(req, res, body) {
  const target = String(req.headers["x-amz-target"] ?? "").split(".").pop();
  const ok = (data) => send(res, 200, data, { "Content-Type": "application/x-amz-json-1.1" });
  if (target === "GetUser") return ok({ Username: USER, UserAttributes: [{ Name: "email", Value: USER }], UserMFASettingList: [] });
  if (target === "AssociateSoftwareToken") return ok({ SecretCode: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP" });
  if (target === "RevokeToken") return ok({});
  send(res, 400, { __type: "NotAuthorizedException", message: "Incorrect username or password." }, { "Content-Type": "application/x-amz-json-1.1" });
}

function api(req, res, url) {
  const cookie = String(req.headers.cookie ?? "");
  const path = url.pathname;
  if (!String(req.headers.authorization ?? "").startsWith("Bearer ")) return send(res, 401, { message: "Unauthorized" });
  if (path === "/api/status") return send(res, 200, state.status);
  if (path === "/api/session") {
    state.sessions += 1;
    const value = state.staleFirst && state.sessions === 1 ? "stale" : "fresh";
    res.setHeader("Set-Cookie", ["hls", "recordings"].map((p) => `CloudFront-Policy=${value}; Path=/${p}/; HttpOnly; SameSite=Strict`));
    return send(res, 200, { lifetimes: { hls: 3600, recordings: 3600 } });
  }
  if (path === "/api/signout") return send(res, 204, null);
  if (path === "/api/recordings" && req.method === "GET") {
    const limit = Number(url.searchParams.get("limit") ?? 20);
    const from = Number(url.searchParams.get("next") ?? 0);
    const rest = recordings.filter((r) => !state.deleted.includes(r.id));
    const page = rest.slice(from, from + limit);
    return send(res, 200, { recordings: page, next: from + limit < rest.length ? String(from + limit) : null });
  }
  if (path.startsWith("/api/recordings/") && req.method === "DELETE") {
    state.deleted.push(decodeURIComponent(path.split("/").pop()));
    return send(res, 204, null);
  }
  if (path.startsWith("/api/servers/")) return send(res, 409, { message: "instance i-1 is pending" });
  return send(res, 404, { message: "Not Found" });
  void cookie;
}

function video403(req, res, file) {
  if (!/CloudFront-Policy=fresh/.test(String(req.headers.cookie ?? ""))) {
    state.forbidden += 1;
    return send(res, 403, { message: "Forbidden" });
  }
  serveFile(res, join(video, file));
}

let csp = "";
const server = createServer((req, res) => {
  const url = new URL(req.url, "http://127.0.0.1");
  state.requests.push(`${req.method} ${url.pathname}`);
  let body = "";
  req.on("data", (chunk) => (body += chunk));
  req.on("end", () => {
    if (url.pathname === "/cognito/") return cognito(req, res, body);
    if (url.pathname === "/config.json") {
      const { port } = server.address();
      return send(res, 200, { region: "us-east-1", userPoolId: "us-east-1_preview", clientId: CLIENT_ID, cognitoEndpoint: `http://127.0.0.1:${port}/cognito/`, mfa: "optional", passwordPolicy: { minimumLength: 14, requireLowercase: true, requireUppercase: true, requireNumbers: true, requireSymbols: true }, livePlaylist: "/hls/0/stream.m3u8", adminGroup: "admins" }, { "Cache-Control": "no-cache" });
    }
    if (url.pathname.startsWith("/api/")) return api(req, res, url);
    if (url.pathname.startsWith("/hls/0/")) return video403(req, res, url.pathname.slice("/hls/0/".length));
    const rec = url.pathname.match(/^\/recordings\/[^/]+\/(?:master|0\/)?(.*)$/);
    if (rec) return video403(req, res, url.pathname.endsWith("master.m3u8") ? "stream.m3u8" : rec[1]);
    const file = normalize(join(site, url.pathname === "/" ? "index.html" : url.pathname));
    if (!file.startsWith(site)) return send(res, 404, { message: "Not Found" });
    serveFile(res, file, { "Content-Security-Policy": csp });
  });
});
await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
const origin = `http://127.0.0.1:${server.address().port}`;
csp = `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self' blob:; connect-src 'self' ${origin}/cognito/; worker-src 'self' blob:; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

function jwt(payload) {
  const part = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${part({ alg: "RS256", kid: "preview" })}.${part(payload)}.c2ln`;
}
function storedSession(groups) {
  const exp = now + 3600;
  const p = `CognitoIdentityServiceProvider.${CLIENT_ID}`;
  return {
    [`${p}.LastAuthUser`]: USER,
    [`${p}.${USER}.idToken`]: jwt({ sub: "u1", email: USER, "cognito:groups": groups, exp, iat: now, aud: CLIENT_ID, token_use: "id" }),
    [`${p}.${USER}.accessToken`]: jwt({ sub: "u1", username: USER, "cognito:groups": groups, exp, iat: now, client_id: CLIENT_ID, token_use: "access", origin_jti: "o1" }),
    [`${p}.${USER}.refreshToken`]: "refresh-token",
    [`${p}.${USER}.clockDrift`]: "0",
  };
}

const problems = [];
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic", "--autoplay-policy=no-user-gesture-required"],
});

let current = null;
async function open(name, session, hash = "", viewport = { width: 360, height: 640 }) {
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
  if (session) await context.addInitScript((items) => { for (const [k, v] of Object.entries(items)) localStorage.setItem(k, v); }, session);
  const page = await context.newPage();
  page.on("console", (m) => { if (m.type() === "error" && !/status of (400|403|409)/.test(m.text())) problems.push(`${name}: console: ${m.text()}`); });
  page.on("pageerror", (e) => problems.push(`${name}: page error: ${e.message}`));
  await page.addInitScript(() => document.addEventListener("securitypolicyviolation", (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`)));
  await page.goto(`${origin}/${hash}`);
  current = page;
  return { page, context };
}

async function shot(page, name) {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: false });
  console.log(`  screenshot ${name}.png`);
}

function check(condition, message) {
  if (!condition) problems.push(message);
}

try {
  // Sign-in, and a wrong password.
  {
    const { page, context } = await open("signin");
    await page.getByLabel("E-mail address").waitFor();
    await shot(page, "01-signin");
    const focused = () => page.evaluate(() => document.activeElement?.getAttribute("aria-label") || document.activeElement?.labels?.[0]?.textContent || document.activeElement?.textContent);
    check((await focused()) === "E-mail address", "sign-in starts in the e-mail field");
    await page.keyboard.press("Tab");
    check((await focused()) === "Password", "Tab goes to the password");
    await page.keyboard.press("Tab");
    check((await focused()) === "Sign in", "then to Sign in");
    await page.getByLabel("E-mail address").fill(USER);
    await page.getByLabel("Password").fill("wrong password");
    await page.getByLabel("Password").press("Enter");
    await page.getByRole("alert").filter({ hasText: "not right" }).waitFor();
    await shot(page, "02-signin-wrong-password");
    await context.close();
  }
  // Live, offline, as an admin.
  {
    const { page, context } = await open("live-offline", storedSession(["admins"]));
    await page.getByRole("heading", { name: "The camera is offline" }).waitFor();
    await page.getByText("Video server").waitFor();
    await shot(page, "03-live-offline");
    await page.getByRole("button", { name: "Start servers" }).click();
    await page.getByText("changing state").waitFor();
    await shot(page, "04-live-start-409");
    await page.getByRole("button", { name: "Set up two-step verification" }).click();
    await page.getByTestId("totp-secret").waitFor();
    await page.locator("img.qr").waitFor();
    await shot(page, "05-totp-setup");
    check((await page.getByTestId("totp-secret").textContent()) === "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "TOTP secret text");
    await page.getByRole("button", { name: "Not now" }).click();
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    const left = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("CognitoIdentityServiceProvider.")));
    check(left.length === 0, `sign-out left ${left.join(", ")}`);
    check(state.requests.includes("POST /api/signout") && state.requests.includes("POST /cognito/"), "sign-out calls /api/signout and RevokeToken");
    await context.close();
  }
  // Recordings, More, Delete with the confirmation dialog.
  {
    const { page, context } = await open("recordings", storedSession(["admins"]), "#recordings");
    await page.getByRole("listitem").first().waitFor();
    await shot(page, "06-recordings");
    check((await page.getByRole("listitem").count()) === 20, "first page has 20 items");
    await page.getByRole("button", { name: "More" }).click();
    await page.waitForFunction(() => document.querySelectorAll("li.recording").length === 25);
    check(await page.getByRole("button", { name: "More" }).isHidden(), "More hides on the last page");
    await page.getByRole("button", { name: /^Delete recording from/ }).first().click();
    const dialog = page.getByRole("dialog", { name: "Delete this recording?" });
    await dialog.waitFor();
    await shot(page, "07-delete-dialog");
    const inDialog = () => page.evaluate(() => document.activeElement?.closest("dialog") ? document.activeElement.textContent : null);
    check((await inDialog()) === "Cancel", "the dialog opens on Cancel");
    await page.keyboard.press("Tab");
    check((await inDialog()) === "Delete", "Tab goes to Delete");
    await page.keyboard.press("Tab");
    check((await inDialog()) === "Cancel", "Tab stays in the dialog");
    await page.keyboard.press("Shift+Tab");
    check((await inDialog()) === "Delete", "Shift+Tab stays in the dialog");
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    await page.getByRole("button", { name: /^Delete recording from/ }).first().click();
    await page.getByRole("dialog").getByRole("button", { name: "Delete", exact: true }).click();
    await page.getByText("was deleted").waitFor();
    check(state.deleted.length === 1, "one recording deleted");
    state.staleFirst = false;
    await page.getByRole("button", { name: /^Play recording from/ }).first().click();
    await page.waitForFunction(() => (document.querySelector("[data-testid=recording-video]")?.currentTime ?? 0) > 0.5, null, { timeout: 20_000 });
    await shot(page, "08-recording-playing");
    await context.close();
  }
  // Live, playing, after a 403 that the page recovers from by renewing the cookies once.
  {
    state.status = { ...state.status, servers: { proxy: { instance_id: "i-1", state: "running" }, owncast: { instance_id: "i-2", state: "running" } }, stream: { live: true, newest_segment_age_seconds: 2 } };
    state.sessions = 0;
    state.staleFirst = true;
    state.forbidden = 0;
    const { page, context } = await open("live-playing", storedSession(["viewers"]));
    await page.waitForFunction(() => (document.querySelector("[data-testid=live-video]")?.currentTime ?? 0) > 1, null, { timeout: 20_000 });
    check(state.forbidden >= 1 && state.sessions === 2, `403 then renewal (forbidden=${state.forbidden}, sessions=${state.sessions})`);
    check(await page.getByTestId("live-video").evaluate((v) => v.muted), "live starts muted");
    await page.getByRole("button", { name: "Turn sound on" }).click();
    check(!(await page.getByTestId("live-video").evaluate((v) => v.muted)), "unmute works");
    await shot(page, "09-live-playing");
    check(await page.getByRole("button", { name: "Start servers" }).count() === 0, "viewers get no server buttons");
    await context.close();
  }
  // The same on a desktop screen.
  {
    state.sessions = 0;
    state.staleFirst = false;
    const { page, context } = await open("desktop", storedSession(["admins"]), "", { width: 1280, height: 800 });
    await page.waitForFunction(() => (document.querySelector("[data-testid=live-video]")?.currentTime ?? 0) > 1, null, { timeout: 20_000 });
    await shot(page, "10-desktop-live");
    await context.close();
  }
} catch (error) {
  problems.push(`scenario failed: ${error.message}`);
  if (current) await current.screenshot({ path: join(shots, "failure.png") }).catch(() => undefined);
} finally {
  await browser.close();
  server.close();
  rmSync(video, { recursive: true, force: true });
}
if (problems.length) {
  console.error(`problems:\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
console.log("no CSP violations, no page errors; every check passed");
