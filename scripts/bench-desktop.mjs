// Start-up benchmark of the desktop app: from starting the process to the first
// screen drawn and interactive (the window reports it through the `ui_ready`
// command, which logs "interactive after N ms"), and the memory resident then,
// summed over the app and its WebKit processes. Goals: ≤ 1 s, ≤ 200 MB.
//
// Usage: node scripts/bench-desktop.mjs DESKTOP_BIN   (needs Xvfb; `make bench` runs it)
// It opens the demo home (created by a first, unmeasured run) RUNS times.

import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const bin = process.argv[2];
if (!bin) {
  console.error("usage: node scripts/bench-desktop.mjs DESKTOP_BIN");
  process.exit(2);
}
const RUNS = Number(process.env.BENCH_STARTS ?? 5);
const work = mkdtempSync(join(tmpdir(), "countersign-bench-desktop-"));

/** Starts Xvfb on a free display; returns [process, ":N"]. */
async function startXvfb() {
  const xvfb = spawn("Xvfb", ["-displayfd", "3", "-screen", "0", "1280x900x24", "-nolisten", "tcp"], {
    stdio: ["ignore", "ignore", "ignore", "pipe"],
  });
  const display = await new Promise((resolve, reject) => {
    xvfb.stdio[3].once("data", (d) => resolve(`:${d.toString().trim()}`));
    xvfb.once("exit", () => reject(new Error("Xvfb exited")));
  });
  return [xvfb, display];
}

/** Every process below `pid`. */
function tree(pid) {
  let children = [];
  try {
    children = execFileSync("pgrep", ["-P", String(pid)], { encoding: "utf8" }).split("\n").filter(Boolean).map(Number);
  } catch {}
  return [pid, ...children.flatMap(tree)];
}

/**
 * Memory of `pid` and its descendants, in MiB: the resident set summed (libraries
 * shared between the app and WebKit's processes counted in each), the proportional
 * set summed (each shared page counted once overall), and "name RSS/PSS" per process.
 */
function resident(pid) {
  let rss = 0;
  let pss = 0;
  const parts = [];
  for (const p of tree(pid)) {
    try {
      const status = readFileSync(`/proc/${p}/status`, "utf8");
      const own = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      const share = Number(/Pss:\s+(\d+)/.exec(readFileSync(`/proc/${p}/smaps_rollup`, "utf8"))?.[1] ?? 0);
      rss += own;
      pss += share;
      parts.push(`${/Name:\s+(\S+)/.exec(status)?.[1]} ${(own / 1024).toFixed(0)}/${(share / 1024).toFixed(0)}`);
    } catch {}
  }
  return { total: rss / 1024, pss: pss / 1024, parts: parts.join(", ") };
}

/** One start: resolves with {wallMs, reportedMs, rssMiB}. */
function start(display, home) {
  return new Promise((resolve, reject) => {
    const began = process.hrtime.bigint();
    const app = spawn(bin, ["--home", home], {
      env: { ...process.env, DISPLAY: display, XDG_DATA_HOME: join(work, "data") },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let err = "";
    const timer = setTimeout(() => {
      app.kill("SIGKILL");
      reject(new Error(`no "interactive" line within 120 s: ${err}`));
    }, 120_000);
    app.stderr.on("data", (d) => {
      err += d.toString();
      const m = /interactive after (\d+) ms/.exec(err);
      if (!m) return;
      const wallMs = Number(process.hrtime.bigint() - began) / 1e6;
      // Memory once the first screen has settled.
      setTimeout(() => {
        const memory = resident(app.pid);
        clearTimeout(timer);
        app.kill("SIGTERM");
        app.once("exit", () =>
          resolve({ wallMs, reportedMs: Number(m[1]), rssMiB: memory.total, pssMiB: memory.pss, processes: memory.parts }),
        );
      }, 1500);
    });
    app.once("exit", (code) => {
      if (!/interactive after/.test(err)) {
        clearTimeout(timer);
        reject(new Error(`the app exited (${code}) before it was interactive: ${err}`));
      }
    });
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const [xvfb, display] = await startXvfb();
try {
  const home = join(work, "none"); // no home here: the demo opens
  const first = await start(display, home);
  console.log(`first start (creates the demo workspace): ${first.wallMs.toFixed(0)} ms`);
  const runs = [];
  for (let i = 0; i < RUNS; i++) runs.push(await start(display, home));
  const wall = median(runs.map((r) => r.wallMs));
  const inside = median(runs.map((r) => r.reportedMs));
  const worst = runs.reduce((a, b) => (b.rssMiB > a.rssMiB ? b : a));
  console.log(`start to interactive, median of ${RUNS}: ${wall.toFixed(0)} ms (in-process ${inside} ms) (goal ≤ 1000 ms)`);
  console.log(
    `memory after start, app + WebKit processes, worst: resident ${worst.rssMiB.toFixed(0)} MiB summed, ` +
      `proportional ${worst.pssMiB.toFixed(0)} MiB (goal ≤ 200 MB); RSS/PSS per process: ${worst.processes} MiB`,
  );
} finally {
  xvfb.kill("SIGTERM");
  rmSync(work, { recursive: true, force: true });
}
