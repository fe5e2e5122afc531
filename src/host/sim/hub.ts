/**
 * The "air" for devices on the Espruino Linux build, which has TCP but no radio: every
 * device keeps one TCP connection to this hub; the hub repeats advertisements to every
 * other device (as a BLE scanner would hear them) and carries point-to-point links between
 * devices, multiplexed on those connections. firmware/transport-hub.ts is the device side.
 *
 * Frame on each connection: length (2 bytes, big-endian) | type (1) | body.
 *   1 HELLO     name                          device -> hub, first frame
 *   2 ADV       payload (empty: stop)         device -> hub
 *   2 ADV       nameLen name payload          hub -> device
 *   3 OPEN      req to                        device -> hub
 *   4 OPEN_OK   req linkHi linkLo             hub -> device
 *   5 OPEN_FAIL req                           hub -> device
 *   6 INCOMING  linkHi linkLo from            hub -> device
 *   7 DATA      linkHi linkLo bytes           both ways
 *   8 CLOSE     linkHi linkLo                 both ways
 */
import { createServer, type Server, type Socket } from "node:net";

export var HUB_HELLO = 1, HUB_ADV = 2, HUB_OPEN = 3, HUB_OPEN_OK = 4, HUB_OPEN_FAIL = 5, HUB_INCOMING = 6, HUB_DATA = 7, HUB_CLOSE = 8;

interface Member {
  sock: Socket;
  name: string;
  adv: Buffer | null;
  buf: Buffer;
}

interface HubLink {
  a: Member;
  b: Member;
}

export interface Hub {
  port: number;
  /** Bytes carried on links (not advertisements). */
  bytes(): number;
  members(): string[];
  /** Stops the hub and drops every device's connection. */
  close(): Promise<void>;
}

function frame(type: number, body: Buffer): Buffer {
  const h = Buffer.alloc(3);
  h.writeUInt16BE(body.length + 1, 0);
  h[2] = type;
  return Buffer.concat([h, body]);
}

export function startHub(opts: { port?: number; host?: string; advertMs?: number; log?: (s: string) => void } = {}): Promise<Hub> {
  const members: Member[] = [];
  const links = new Map<number, HubLink>();
  let nextLink = 1;
  let carried = 0;
  const log = opts.log || (() => {});

  function send(m: Member, type: number, body: Buffer): void {
    if (!m.sock.destroyed) m.sock.write(frame(type, body));
  }

  function linkId(id: number): Buffer {
    return Buffer.from([id >> 8, id & 255]);
  }

  function dropLinksOf(m: Member): void {
    for (const [id, l] of links) {
      if (l.a === m || l.b === m) {
        links.delete(id);
        send(l.a === m ? l.b : l.a, HUB_CLOSE, linkId(id));
      }
    }
  }

  function onFrame(m: Member, type: number, body: Buffer): void {
    if (type === HUB_HELLO) {
      m.name = body.toString("latin1");
      log(`hub: ${m.name} joined`);
    } else if (type === HUB_ADV) m.adv = body.length ? Buffer.from(body) : null;
    else if (type === HUB_OPEN && body.length >= 2) {
      const req = body[0];
      const to = body.subarray(1).toString("latin1");
      const t = members.find((x) => x.name === to && x !== m);
      if (!t) return send(m, HUB_OPEN_FAIL, Buffer.from([req]));
      const id = nextLink++ & 0xffff || nextLink++;
      links.set(id, { a: m, b: t });
      send(t, HUB_INCOMING, Buffer.concat([linkId(id), Buffer.from(m.name, "latin1")]));
      send(m, HUB_OPEN_OK, Buffer.concat([Buffer.from([req]), linkId(id)]));
    } else if ((type === HUB_DATA || type === HUB_CLOSE) && body.length >= 2) {
      const id = (body[0] << 8) | body[1];
      const l = links.get(id);
      if (!l || (l.a !== m && l.b !== m)) return;
      const other = l.a === m ? l.b : l.a;
      if (type === HUB_CLOSE) links.delete(id);
      else carried += body.length - 2;
      send(other, type, body);
    }
  }

  const server: Server = createServer((sock) => {
    const m: Member = { sock, name: "?", adv: null, buf: Buffer.alloc(0) };
    members.push(m);
    sock.setNoDelay(true);
    sock.on("data", (d: Buffer) => {
      m.buf = Buffer.concat([m.buf, d]);
      while (m.buf.length >= 2) {
        const n = m.buf.readUInt16BE(0);
        if (n < 1 || n > 4096) {
          sock.destroy();
          return;
        }
        if (m.buf.length < 2 + n) break;
        const type = m.buf[2];
        const body = Buffer.from(m.buf.subarray(3, 2 + n));
        m.buf = m.buf.subarray(2 + n);
        onFrame(m, type, body);
      }
    });
    const gone = () => {
      const i = members.indexOf(m);
      if (i >= 0) members.splice(i, 1);
      dropLinksOf(m);
    };
    sock.on("close", gone);
    sock.on("error", gone);
  });

  const timer = setInterval(() => {
    for (const m of members) {
      if (!m.adv) continue;
      const body = Buffer.concat([Buffer.from([m.name.length]), Buffer.from(m.name, "latin1"), m.adv]);
      for (const o of members) if (o !== m) send(o, HUB_ADV, body);
    }
  }, opts.advertMs ?? 250);
  timer.unref();

  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", () => {
      const a = server.address();
      resolve({
        port: typeof a === "object" && a ? a.port : 0,
        bytes: () => carried,
        members: () => members.map((m) => m.name),
        close: () =>
          new Promise((r) => {
            clearInterval(timer);
            for (const m of members) m.sock.destroy();
            server.close(() => r());
          }),
      });
    });
  });
}
