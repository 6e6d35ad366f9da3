import { closeSync, existsSync, openSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { DlError } from "../util/errors.js";
import { silentProgress, type ProgressSink } from "./download-progress.js";

/**
 * HTTP(S) download to a file that is safe against bad networks: bytes stream into `<dest>.part`;
 * an interrupted transfer (in this run or an earlier one) resumes with an HTTP Range request;
 * network errors, timeouts and 5xx/429 answers are retried with exponential backoff; the `.part`
 * file is renamed to `dest` only once complete. Redirects are followed.
 */
export interface DownloadOptions {
  /** Retries after a failed attempt (default 5). The count restarts whenever an attempt made progress. */
  retries?: number;
  /** Delay before retry k = 1, 2, ... in ms (default 1 s, 2 s, 4 s ... capped at 30 s). */
  backoffMs?: (attempt: number) => number;
  /** Waits between retries (tests pass an instant one). */
  sleep?: (ms: number) => Promise<void>;
  /** A connection idle this long (ms) is abandoned and retried (default 30 s). */
  idleTimeoutMs?: number;
  progress?: ProgressSink;
  /** One line per retry ("retrying in 2 s: ..."). */
  log?: (line: string) => void;
}

export interface DownloadResult {
  bytes: number;
  /** Bytes that were already in the .part file when this call started. */
  resumedFrom: number;
  attempts: number;
}

/** A failure worth retrying (network trouble, 5xx), as opposed to a fatal one (404, disk full). */
class TransientError extends Error {}

const defaultBackoff = (k: number) => Math.min(30_000, 1000 * 2 ** (k - 1));
const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function downloadToFile(url: string, dest: string, opts: DownloadOptions = {}): Promise<DownloadResult> {
  const part = `${dest}.part`;
  const retries = opts.retries ?? 5;
  const backoff = opts.backoffMs ?? defaultBackoff;
  const sleep = opts.sleep ?? defaultSleep;
  const progress = opts.progress ?? silentProgress;
  const resumedFrom = existsSync(part) ? statSync(part).size : 0;
  let failures = 0;
  let attempts = 0;
  let restarts = 0;
  for (;;) {
    attempts++;
    const before = existsSync(part) ? statSync(part).size : 0;
    try {
      const complete = await attempt(url, part, before, opts.idleTimeoutMs ?? 30_000, progress, 5);
      if (complete) {
        renameSync(part, dest);
        return { bytes: statSync(dest).size, resumedFrom, attempts };
      }
      // The partial file was discarded (the server refused or mangled our range): start over, but not forever.
      if (++restarts > 3) throw new DlError(`download of ${url} failed: the server keeps answering with byte ranges that do not fit`);
    } catch (err) {
      if (!(err instanceof TransientError)) throw err;
      const after = existsSync(part) ? statSync(part).size : 0;
      failures = after > before ? 1 : failures + 1; // progress was made: the flaky link deserves fresh retries
      if (failures > retries) {
        throw new DlError(
          `download of ${url} failed after ${attempts} attempts: ${err.message}. ` +
            (after > 0 ? `The ${after} bytes received are kept in ${part}; run the command again to resume.` : "Check the network and try again."),
        );
      }
      const wait = backoff(failures);
      opts.log?.(`${err.message}; retrying in ${(wait / 1000).toFixed(wait < 1000 ? 1 : 0)} s (attempt ${attempts + 1})`);
      await sleep(wait);
    }
  }
}

/**
 * One request. Resolves true when `part` holds the whole resource, false when it should be asked
 * again from its current size at once (the server ignored or refused our range); rejects with
 * TransientError for retryable trouble.
 */
function attempt(url: string, part: string, offset: number, idleMs: number, progress: ProgressSink, redirects: number): Promise<boolean> {
  return new Promise<boolean>((resolve, reject) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      reject(new DlError(`not a valid URL: ${url}`));
      return;
    }
    const client = u.protocol === "https:" ? https : u.protocol === "http:" ? http : undefined;
    if (!client) {
      reject(new DlError(`cannot download ${url}: only http and https URLs are supported`));
      return;
    }
    const headers: Record<string, string> = { "user-agent": "dl (deep-learning CLI)", "accept-encoding": "identity" };
    if (offset > 0) headers.range = `bytes=${offset}-`;
    let responded = false;
    const req = client.get(u, { headers }, (res) => {
      responded = true;
      const status = res.statusCode ?? 0;
      const drain = () => res.resume();
      if (status >= 300 && status < 400 && res.headers.location) {
        drain();
        if (redirects <= 0) return reject(new DlError(`too many redirects fetching ${url}`));
        const next = new URL(res.headers.location, u).toString();
        attempt(next, part, offset, idleMs, progress, redirects - 1).then(resolve, reject);
        return;
      }
      if (status === 416) {
        drain();
        // Range not satisfiable: either the .part is already whole, or it is longer than the file (a changed file): start over.
        const total = /\/(\d+)\s*$/.exec(String(res.headers["content-range"] ?? ""))?.[1];
        if (total !== undefined && Number(total) === offset) return resolve(true);
        rmSync(part, { force: true });
        return resolve(false);
      }
      if (status >= 500 || status === 429 || status === 408) {
        drain();
        return reject(new TransientError(`the server answered HTTP ${status} ${res.statusMessage ?? ""}`.trim()));
      }
      if (status !== 200 && status !== 206) {
        drain();
        return reject(new DlError(`download of ${url} failed: HTTP ${status} ${res.statusMessage ?? ""}`.trim()));
      }
      let start = 0;
      let total: number | undefined;
      if (status === 206) {
        const m = /bytes\s+(\d+)-(\d+)\/(\d+|\*)/.exec(String(res.headers["content-range"] ?? ""));
        if (!m || Number(m[1]) !== offset) {
          // A range we did not ask for: discard the partial file and ask for everything.
          drain();
          rmSync(part, { force: true });
          return resolve(false);
        }
        start = offset;
        total = m[3] === "*" ? undefined : Number(m[3]);
      } else {
        const len = res.headers["content-length"];
        total = len !== undefined ? Number(len) : undefined;
      }
      progress.start(total, start);
      // Chunks are written synchronously as they arrive, so when this attempt ends the file holds
      // exactly the bytes received: the next attempt's Range starts at its size with no write in flight.
      let fd: number;
      try {
        fd = openSync(part, start > 0 ? "a" : "w");
      } catch (e) {
        drain();
        return reject(new DlError(`cannot write ${part}: ${(e as Error).message}`));
      }
      let received = start;
      let writeError: Error | undefined;
      let netError: Error | undefined;
      let settled = false;
      const finish = () => {
        if (settled) return;
        settled = true;
        closeSync(fd);
        if (writeError) {
          progress.done(false);
          return reject(new DlError(`cannot write ${part}: ${writeError.message}`));
        }
        const short = total !== undefined && received < total;
        if (netError || short || !res.complete) {
          progress.done(false);
          const why = netError && !short
            ? `the connection failed (${(netError as NodeJS.ErrnoException).code ?? netError.message})`
            : `the connection closed after ${received} of ${total ?? "?"} bytes`;
          return reject(new TransientError(why));
        }
        progress.done(true);
        resolve(true);
      };
      res.on("data", (chunk: Buffer) => {
        if (settled || writeError) return;
        try {
          let off = 0;
          while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
        } catch (e) {
          writeError = e as Error;
          res.destroy();
          return;
        }
        received += chunk.length;
        progress.update(received);
      });
      res.on("error", (e) => (netError ??= e));
      res.on("end", finish);
      res.on("close", finish);
    });
    req.setTimeout(idleMs, () => req.destroy(new TransientError(`no data for ${Math.round(idleMs / 1000)} s`)));
    req.on("error", (e) => {
      // Once a response is flowing, its pipeline reports the failure (after the file is closed).
      if (responded) return;
      if (e instanceof TransientError || e instanceof DlError) return reject(e);
      const code = (e as NodeJS.ErrnoException).code;
      // DNS failures, refused or reset connections: all worth another try after a pause.
      reject(new TransientError(`network error (${code ?? e.message})`));
    });
  });
}
