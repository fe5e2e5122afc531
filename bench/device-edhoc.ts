/**
 * Runs on the Espruino interpreter for `pairkit bench` (src/host/bench/espruino.ts): boots
 * the device crypto (native SHA-256/AES, the ATECC608 over its TCP bridge), then plays
 * one EDHOC role (method 3, suite 2, credentials by value) against `pairkit interop`
 * running in Node, then seals session records. The Node side measures the interpreter's
 * instructions (callgrind) of this process for each configuration and takes differences,
 * so boot costs cancel out and secure-element time (in the Node simulator) is excluded.
 *
 * BENCH is prepended by the runner: {role: "i" | "r" | "none", port, se, records}.
 * Device code: Espruino subset.
 */
import "../firmware/compat";
import type { Bytes } from "../src/core/bytes";
import { createNativeSymmetric } from "../src/crypto/device/symmetric";
import { p256DecompressY } from "../src/crypto/device/p256";
import { createSeDriver, seRandom } from "../src/crypto/atecc608/driver";
import { tcpBus } from "../src/crypto/atecc608/bus";
import { createSecureElementCrypto } from "../src/crypto/atecc608/se-crypto";
import { readIdentity } from "../src/crypto/atecc608/identity";
import { EdhocInitiator, EdhocResponder } from "../src/core/edhoc/edhoc";
import { idCredByValue, readIdCredParts } from "../src/core/cred/idcred";
import { validateChain } from "../src/core/cred/chain";
import { espTcpLink } from "../firmware/transport-tcp";
import { sessionNew, sessionSeal } from "../src/core/session/session";
import type { CryptoProvider } from "../src/crypto/provider";
import type { Link } from "../src/core/link";

declare function quit(): void;
declare var BENCH: { role: string; port: number; se: number; records: number };

var net = require("net");
var drv = createSeDriver(tcpBus(net, "127.0.0.1", BENCH.se), {});

function done(what: string): void {
  print("BENCH " + what);
  setTimeout(function () {
    quit();
  }, 10);
}

seRandom(drv, 0).then(function (r: Bytes) {
  var sym = createNativeSymmetric(require("crypto"), r);
  // Under valgrind the interpreter runs ~50x slower: keep the ephemeral key past the default 60 s.
  var se = createSecureElementCrypto(drv, { sha256: sym.sha256, decompress: p256DecompressY, ephemeralTtlMs: 3600000 });
  var c: CryptoProvider = {
    name: "bench", randomBytes: sym.randomBytes, sha256: sym.sha256, hmacSha256: sym.hmacSha256, hkdfExtract: sym.hkdfExtract,
    hkdfExpand: sym.hkdfExpand, aeadSeal: sym.aeadSeal, aeadOpen: sym.aeadOpen, ctEqual: sym.ctEqual,
    generateKeyPair: se.generateKeyPair, ecdh: se.ecdh, sign: se.sign, verify: se.verify,
  };
  return readIdentity(drv).then(function (id) {
    if (BENCH.role === "none") return done("none");
    var own = { priv: se.deviceKey, cred: id.credential, idCred: idCredByValue(id.credential, null) };
    var resolve = function (idCred: Bytes) {
      var parts = readIdCredParts(idCred);
      return validateChain(c, parts.cred as Bytes, { anchors: id.anchors });
    };
    var records = function (prk: Bytes) {
      var s = sessionNew(c, prk, BENCH.role === "i");
      var data = new Uint8Array(64);
      for (var i = 0; i < BENCH.records; i++) sessionSeal(s, data);
      done(BENCH.role + " ok");
    };
    var fail = function (e: { code?: string }) {
      done("failed " + (e && e.code));
    };
    var run = function (l: Link, first: Bytes | null) {
      var q: Bytes[] = [];
      var waiting: ((b: Bytes) => void) | null = null;
      l.onData = function (d: Bytes) {
        if (waiting) {
          var w = waiting;
          waiting = null;
          w(d);
        } else q.push(d);
      };
      var next = function (): Promise<Bytes> {
        return new Promise(function (res) {
          if (q.length) res(q.shift() as Bytes);
          else waiting = res;
        });
      };
      if (BENCH.role === "i") {
        var ini = new EdhocInitiator({ crypto: c, method: 3, suites: [2], creds: [own] });
        ini.message1().then(function (m1) {
          l.send(m1);
          return next();
        }).then(function (m2) {
          return ini.parseMessage2(m2);
        }).then(function (h) {
          return resolve(h.idCred);
        }).then(function (p) {
          return ini.verifyMessage2({ cred: p.cred, pub: p.pub });
        }).then(function () {
          return ini.message3();
        }).then(function (m3) {
          l.send(m3);
          return next();
        }).then(function (m4) {
          return ini.processMessage4(m4);
        }).then(function () {
          records(ini.prkOut);
        }, fail);
      } else {
        var res = new EdhocResponder({ crypto: c, suites: [2], methods: [3], creds: [own] });
        res.processMessage1(first as Bytes).then(function () {
          return res.message2();
        }).then(function (m2) {
          l.send(m2);
          return next();
        }).then(function (m3) {
          return res.parseMessage3(m3);
        }).then(function (h) {
          return resolve(h.idCred);
        }).then(function (p) {
          return res.verifyMessage3({ cred: p.cred, pub: p.pub });
        }).then(function () {
          return res.message4();
        }).then(function (m4) {
          l.send(m4);
          records(res.prkOut);
        }, fail);
      }
    };
    if (BENCH.role === "i") {
      var s = net.connect({ host: "127.0.0.1", port: BENCH.port }, function () {
        run(espTcpLink(s, E, 4096), null);
      });
    } else {
      net.createServer(function (sock: unknown) {
        var l = espTcpLink(sock as Parameters<typeof espTcpLink>[0], E, 4096);
        l.onData = function (m1: Bytes) {
          run(l, m1);
        };
      }).listen(BENCH.port);
      print("BENCH listening");
    }
  });
}).then(null, function (e: { code?: string }) {
  done("failed " + (e && e.code));
});
