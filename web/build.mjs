// Builds the viewer page into hashed assets and an index.html that names them.
//   node build.mjs <outdir>
// Deterministic: the same sources give byte-identical files. The output directory is
// replaced; it may only hold what a previous build wrote (index.html, assets/).
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const outdir = process.argv[2] ? resolve(process.argv[2]) : null;
if (!outdir) {
  console.error("usage: node build.mjs <outdir>");
  process.exit(2);
}

const OWN = new Set(["index.html", "assets"]);

function clean(dir) {
  if (!existsSync(dir)) return;
  const strangers = readdirSync(dir).filter((name) => !OWN.has(name));
  if (strangers.length > 0) {
    throw new Error(`${dir} holds files a build did not write: ${strangers.join(", ")}`);
  }
  rmSync(join(dir, "assets"), { recursive: true, force: true });
  rmSync(join(dir, "index.html"), { force: true });
}

function hashed(name, ext, bytes) {
  const hash = createHash("sha256").update(bytes).digest("base64url").replace(/[-_]/g, "").slice(0, 10).toUpperCase();
  return `assets/${name}-${hash}.${ext}`;
}

// hls.js transmuxes in a Web Worker loaded from the page's origin (worker-src 'self').
const workerBytes = readFileSync(join(here, "node_modules/hls.js/dist/hls.worker.js"));
const worker = hashed("hls-worker", "js", workerBytes);

const result = await esbuild.build({
  absWorkingDir: here,
  entryPoints: { app: "src/main.ts" },
  bundle: true,
  minify: true,
  format: "esm",
  platform: "browser",
  target: ["es2020", "chrome100", "firefox100", "safari15"],
  entryNames: "assets/[name]-[hash]",
  assetNames: "assets/[name]-[hash]",
  outdir: "out",
  write: false,
  metafile: true,
  sourcemap: false,
  legalComments: "eof",
  charset: "utf8",
  logLevel: "warning",
  define: {
    global: "globalThis",
    "process.env.NODE_ENV": '"production"',
    __HLS_WORKER_PATH__: JSON.stringify(worker),
  },
});

const files = new Map();
for (const file of result.outputFiles) {
  files.set(relative(join(here, "out"), file.path).split("\\").join("/"), file.contents);
}
const js = [...files.keys()].find((name) => /^assets\/app-[A-Z0-9]+\.js$/.test(name));
const css = [...files.keys()].find((name) => /^assets\/app-[A-Z0-9]+\.css$/.test(name));
if (!js || !css) throw new Error(`unexpected build output: ${[...files.keys()].join(", ")}`);

files.set(worker, workerBytes);
const iconBytes = readFileSync(join(here, "src/icon.svg"));
const icon = hashed("icon", "svg", iconBytes);
files.set(icon, iconBytes);

const html = readFileSync(join(here, "src/index.html"), "utf8")
  .replace("{{JS}}", js)
  .replace("{{CSS}}", css)
  .replace("{{ICON}}", icon);
if (/\{\{[A-Z]+\}\}/.test(html)) throw new Error("index.html keeps a placeholder");
files.set("index.html", Buffer.from(html, "utf8"));

clean(outdir);
for (const [name, bytes] of [...files.entries()].sort(([a], [b]) => a.localeCompare(b))) {
  const target = join(outdir, name);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, bytes);
}
for (const name of [...files.keys()].sort()) console.log(`  ${name}  ${files.get(name).length} bytes`);
