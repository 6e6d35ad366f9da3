import http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A real HTTP server on 127.0.0.1 (port 0) serving byte buffers by path, with HTTP Range support
 * and scripted misbehaviour for download tests: cut the connection after N bytes, answer 500,
 * ignore Range, or redirect. Every request is recorded (path, Range header, status).
 */
export interface Behaviour {
  /** For the first `times` requests of this path: send this many body bytes, then destroy the socket. */
  cutAfter?: { bytes: number; times: number };
  /** For the first `times` requests (all if Infinity): answer this status with no body. */
  fail?: { status: number; times: number };
  /** Answer 200 with the whole body even when a Range was asked. */
  ignoreRange?: boolean;
  /** Answer 302 to this path. */
  redirectTo?: string;
}

export interface RangeServer {
  url(path: string): string;
  serve(path: string, body: Buffer, behaviour?: Behaviour): void;
  requests: Array<{ path: string; range?: string; status: number }>;
  close(): Promise<void>;
}

export async function startRangeServer(): Promise<RangeServer> {
  const files = new Map<string, { body: Buffer; behaviour: Behaviour; count: number }>();
  const requests: RangeServer["requests"] = [];
  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const f = files.get(path);
    const range = req.headers.range;
    const record = (status: number) => requests.push({ path, range, status });
    if (!f) {
      record(404);
      res.writeHead(404).end("not found");
      return;
    }
    const n = f.count++;
    const b = f.behaviour;
    if (b.redirectTo) {
      record(302);
      res.writeHead(302, { location: b.redirectTo }).end();
      return;
    }
    if (b.fail && n < b.fail.times) {
      record(b.fail.status);
      res.writeHead(b.fail.status).end();
      return;
    }
    let start = 0;
    const m = range && !b.ignoreRange ? /bytes=(\d+)-/.exec(range) : null;
    if (m) {
      start = Number(m[1]);
      if (start >= f.body.length) {
        record(416);
        res.writeHead(416, { "content-range": `bytes */${f.body.length}` }).end();
        return;
      }
    }
    const status = m ? 206 : 200;
    record(status);
    const headers: Record<string, string | number> = { "content-length": f.body.length - start, "accept-ranges": "bytes" };
    if (m) headers["content-range"] = `bytes ${start}-${f.body.length - 1}/${f.body.length}`;
    res.writeHead(status, headers);
    const slice = f.body.subarray(start);
    if (b.cutAfter && n < b.cutAfter.times) {
      res.write(slice.subarray(0, b.cutAfter.bytes), () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    res.end(slice);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (p) => `http://127.0.0.1:${port}${p}`,
    serve: (p, body, behaviour = {}) => files.set(p, { body, behaviour, count: 0 }),
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
