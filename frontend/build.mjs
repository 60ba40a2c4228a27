// Build Safecase's static assets into static_build/assets (Django's STATICFILES_DIRS).
//
//   npm run build
//
// - css/app.css: frontend/scss/app.scss compiled (compressed) with GOV.UK Frontend and MOJ
//   Frontend, in the system font stack.
// - images/: exactly the images css/app.css refers to, copied from the two packages.
// - js/: GOV.UK Frontend's and MOJ Frontend's ES module bundles (with their source maps, which
//   the bundles name and ManifestStaticFilesStorage insists on finding), htmx, and app.js.
// - favicon.svg: a neutral icon of our own.
//
// The build refuses to finish if the CSS would load GDS Transport, declare any @font-face, or
// show the crown or crest (a council service is not on GOV.UK: DESIGN.md "Stack"), or if it
// refers to an image it cannot ship. It needs nothing but node_modules (works offline after
// `npm ci`), writes a file only when its content changed and removes files it no longer makes,
// so running it twice leaves the tree untouched.

import { readFileSync, writeFileSync, existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import * as sass from "sass";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "static_build", "assets");
const modules = join(root, "node_modules");

// Files the Makefile (not this script) owns inside the output directory.
const KEEP = new Set([".built"]);

const IMAGE_SOURCES = [
  join(modules, "govuk-frontend", "dist", "govuk", "assets", "images"),
  join(modules, "@ministryofjustice", "frontend", "moj", "assets", "images"),
];

const COPIES = {
  "js/govuk-frontend.min.js": join(modules, "govuk-frontend/dist/govuk/govuk-frontend.min.js"),
  "js/govuk-frontend.min.js.map": join(
    modules,
    "govuk-frontend/dist/govuk/govuk-frontend.min.js.map",
  ),
  "js/moj-frontend.min.js": join(modules, "@ministryofjustice/frontend/moj/moj-frontend.min.js"),
  "js/moj-frontend.min.js.map": join(
    modules,
    "@ministryofjustice/frontend/moj/moj-frontend.min.js.map",
  ),
  "js/htmx.min.js": join(modules, "htmx.org/dist/htmx.min.js"),
  "js/app.js": join(root, "frontend/js/app.js"),
  "js/js-enabled.js": join(root, "frontend/js/js-enabled.js"),
  "css/referral-print.css": join(root, "frontend/css/referral-print.css"),
  "js/session-timeout.js": join(root, "frontend/js/session-timeout.js"),
  "js/draft-autosave.js": join(root, "frontend/js/draft-autosave.js"),
  "favicon.svg": join(root, "frontend/favicon.svg"),
};

const FORBIDDEN_IN_CSS = [
  [/GDS Transport/i, "the GDS Transport font"],
  [/@font-face/i, "an @font-face rule (the system font stack needs none)"],
  [/url\([^)]*(crown|crest)/i, "a crown or crest image"],
];

function fail(message) {
  console.error(`frontend build: ${message}`);
  process.exit(1);
}

// A warning is the packages' own business when it was raised while merely loading a package:
// the first frame outside node_modules is one of our `@use "node_modules/..."` lines (MOJ
// Frontend still calls GOV.UK Frontend mixins that v6 deprecates, and we cannot fix that here).
// A warning our own Sass causes is always shown.
function isPackageWarning(stack) {
  const frames = (stack || "").split("\n").map((line) => line.trim()).filter(Boolean);
  const ours = frames.find((line) => !line.startsWith("node_modules/"));
  const match = ours && /^(\S+) (\d+):\d+/.exec(ours);
  if (!match || !existsSync(join(root, match[1]))) return false;
  const source = readFileSync(join(root, match[1]), "utf8").split("\n")[Number(match[2]) - 1];
  return /^\s*@(use|forward)\s+["']node_modules\//.test(source || "");
}

function compileCss() {
  let packageWarnings = 0;
  const result = sass.compile(join(root, "frontend", "scss", "app.scss"), {
    loadPaths: [root],
    style: "compressed",
    // Deprecation notices from inside the two packages are theirs to fix, not ours.
    quietDeps: true,
    logger: {
      warn(message, { stack }) {
        if (isPackageWarning(stack)) packageWarnings += 1;
        else console.warn(`WARNING: ${message}\n${stack || ""}`);
      },
    },
  });
  if (packageWarnings) {
    console.log(`frontend build: ${packageWarnings} warning(s) from inside the packages not shown`);
  }
  for (const [pattern, what] of FORBIDDEN_IN_CSS) {
    if (pattern.test(result.css)) fail(`css/app.css would contain ${what}`);
  }
  return result.css;
}

// Every url(...) in the CSS that is a file, as a path relative to css/.
function referencedImages(css) {
  const urls = new Set();
  for (const match of css.matchAll(/url\(\s*["']?([^"')]+)["']?\s*\)/g)) {
    const url = match[1];
    if (url.startsWith("data:") || url.startsWith("#")) continue;
    if (/^([a-z]+:)?\/\//i.test(url)) fail(`css/app.css refers to an external URL: ${url}`);
    if (!url.startsWith("../images/")) fail(`css/app.css refers to an unexpected path: ${url}`);
    urls.add(url.slice("../images/".length));
  }
  return [...urls].sort();
}

function findImage(name) {
  for (const dir of IMAGE_SOURCES) {
    const path = join(dir, name);
    if (existsSync(path)) return path;
  }
  return fail(`css/app.css refers to images/${name}, which neither package provides`);
}

function plan() {
  const css = compileCss();
  const files = new Map([["css/app.css", Buffer.from(css + "\n")]]);
  for (const name of referencedImages(css)) {
    files.set(`images/${name}`, readFileSync(findImage(name)));
  }
  for (const [target, source] of Object.entries(COPIES)) {
    if (!existsSync(source)) fail(`missing ${relative(root, source)}: run npm ci first`);
    files.set(target, readFileSync(source));
  }
  return files;
}

function walk(dir, base = dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? walk(path, base) : [relative(base, path).split(sep).join("/")];
  });
}

function write(files) {
  let changed = 0;
  for (const [name, content] of files) {
    const path = join(out, name);
    if (existsSync(path) && readFileSync(path).equals(content)) continue;
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    changed += 1;
  }
  let removed = 0;
  for (const name of walk(out)) {
    if (!files.has(name) && !KEEP.has(name)) {
      rmSync(join(out, name));
      removed += 1;
    }
  }
  removeEmptyDirectories(out);
  return { changed, removed };
}

function removeEmptyDirectories(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const path = join(dir, entry.name);
    removeEmptyDirectories(path);
    if (readdirSync(path).length === 0) rmSync(path, { recursive: true });
  }
}

const started = Date.now();
const files = plan();
const { changed, removed } = write(files);
console.log(
  `frontend build: ${files.size} files in ${relative(root, out)} ` +
    `(${changed} written, ${removed} removed) in ${Date.now() - started} ms`,
);
