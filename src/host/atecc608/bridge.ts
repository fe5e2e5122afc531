/**
 * TCP bridge from an Espruino Linux process (tcpBus in src/crypto/atecc608/bus.ts) to the
 * simulator. The framing is defined there: 2-byte big-endian length, then "K" (wake),
 * "W" + bytes (I2C write) or "R" + n (I2C read); replies status 0 ACK (+ bytes), 1 NACK,
 * 2 bad request. Listens on loopback unless told otherwise.
 */
import net from "node:net";
import type { AteccSimulator } from "./simulator";

export interface SeBridge {
  readonly port: number;
  close(): Promise<void>;
}

export function startSeBridge(opts: { port?: number; host?: string; sim: AteccSimulator }): Promise<SeBridge> {
  var sim = opts.sim;
  var sockets = new Set<net.Socket>();
  var server = net.createServer(function (sock) {
    sockets.add(sock);
    sock.setNoDelay(true);
    var buf = Buffer.alloc(0);
    sock.on("data", function (d: Buffer) {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2) {
        var n = buf.readUInt16BE(0);
        if (buf.length < n + 2) break;
        var f = buf.subarray(2, n + 2);
        buf = buf.subarray(n + 2);
        var reply: Uint8Array;
        var t = f.length ? f[0] : 0;
        if (t === 0x4b && f.length === 1) {
          sim.wake();
          reply = new Uint8Array([0]);
        } else if (t === 0x57 && f.length >= 2) {
          reply = new Uint8Array([sim.i2cWrite(new Uint8Array(f.subarray(1))) ? 0 : 1]);
        } else if (t === 0x52 && f.length === 2 && f[1] > 0) {
          var r = sim.i2cRead(f[1]);
          if (r) {
            reply = new Uint8Array(r.length + 1);
            reply.set(r, 1);
          } else reply = new Uint8Array([1]);
        } else reply = new Uint8Array([2]);
        var out = Buffer.alloc(reply.length + 2);
        out.writeUInt16BE(reply.length, 0);
        out.set(reply, 2);
        sock.write(out);
      }
    });
    sock.on("error", function () {});
    sock.on("close", function () {
      sockets.delete(sock);
    });
  });
  return new Promise(function (resolve, reject) {
    server.once("error", reject);
    server.listen(opts.port || 0, opts.host || "127.0.0.1", function () {
      var addr = server.address() as net.AddressInfo;
      resolve({
        port: addr.port,
        close() {
          for (var s of sockets) s.destroy();
          return new Promise<void>(function (res) {
            server.close(function () {
              res();
            });
          });
        },
      });
    });
  });
}
