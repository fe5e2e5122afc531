/**
 * Runs on the Espruino interpreter for `pairkit bench` (src/host/bench/espruino.ts): boots
 * the device crypto (native SHA-256/AES, the ATECC608 over its TCP bridge), then plays
 * one EDHOC role (method 3, suite 2, credentials by value) against `pairkit interop`
 * running in Node, then seals session records. The Node side measures the interpreter's
 * instructions (callgrind) of this process for each configuration and takes differences,
 * so boot costs cancel out and secure-element time (in the Node simulator) is excluded.
 *
 * Built like the firmware (build.mjs, linux board: device-only code, mangled names) and
 * driven like the pairing controller drives a handshake: edhocStep with completion
 * callbacks, each step's result continued from a timer, the peer's credential chain
 * validated between parsing and verifying. So the cost measured is the firmware's.
 *
 * BENCH is prepended by the runner: [role ("i" | "r" | "none"), port, se port, records]
 * (an array: property names are mangled by the device build).
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
import { Edhoc, edhocStep, type EdhocInitiator, type EdhocResponder, type PeerHello } from "../src/core/edhoc/edhoc";
import { STEP_M1, STEP_M4, STEP_PARSE, STEP_SEND, STEP_VERIFY } from "../src/core/edhoc/consts";
import { idCredByValue, readIdCredParts } from "../src/core/cred/idcred";
import { validateChain } from "../src/core/cred/chain";
import { espTcpLink } from "../firmware/transport-tcp";
import { sessionNew, sessionSeal } from "../src/core/session/session";
import type { CryptoProvider } from "../src/crypto/provider";
import type { Link } from "../src/core/link";

declare function quit(): void;
declare var BENCH: [string, number, number, number];
var ROLE = BENCH[0];

var net = require("net");
var drv = createSeDriver(tcpBus(net, "127.0.0.1", BENCH[2]), {});

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
    if (ROLE === "none") return done("none");
    var ini = ROLE === "i";
    var own = { priv: se.deviceKey, cred: id.credential, idCred: idCredByValue(id.credential, null) };
    var ed = new Edhoc({ crypto: c, method: 3, suites: [2], creds: [own] }, ini) as EdhocInitiator & EdhocResponder;
    var link: Link;
    var q: Bytes[] = [];
    var waiting: ((b: Bytes) => void) | null = null;
    var recv = function (f: (b: Bytes) => void) {
      if (q.length) f(q.shift() as Bytes);
      else waiting = f;
    };
    var fail = function (e: { code?: string }) {
      done("failed " + (e && e.code));
    };
    // A step's result continues from a timer, as in the controller (the chip's callback
    // stack is not kept under the next step).
    var then = function (f: (r: any) => void) {
      return function (e: any, r?: any) {
        setTimeout(function () {
          if (e) return fail(e);
          try {
            f(r);
          } catch (x) {
            fail(x as { code?: string });
          }
        }, 0);
      };
    };
    var records = function () {
      var s = sessionNew(c, ed.prkOut, ini);
      var data = new Uint8Array(64);
      for (var i = 0; i < BENCH[3]; i++) sessionSeal(s, data);
      done(ROLE + " ok");
    };
    // Parse the peer's message_2/3, validate its credential chain, verify, then go on.
    var peerMessage = function (m: Bytes, after: () => void) {
      edhocStep(ed, STEP_PARSE, m, then(function (h: PeerHello) {
        var parts = readIdCredParts(h.idCred);
        validateChain(c, parts.cred as Bytes, { anchors: id.anchors }, then(function (p: { cred: Bytes; pub: Bytes }) {
          edhocStep(ed, STEP_VERIFY, { cred: p.cred, pub: p.pub }, then(after));
        }));
      }));
    };
    var start = function (l: Link, first: Bytes | null) {
      link = l;
      l.onData = function (d: Bytes) {
        if (waiting) {
          var w = waiting;
          waiting = null;
          w(d);
        } else q.push(d);
      };
      if (ini) {
        edhocStep(ed, STEP_M1, undefined, then(function (m1: Bytes) {
          link.send(m1);
          recv(function (m2) {
            peerMessage(m2, function () {
              edhocStep(ed, STEP_SEND, undefined, then(function (m3: Bytes) {
                link.send(m3);
                recv(function (m4) {
                  edhocStep(ed, STEP_M4, m4, then(records));
                });
              }));
            });
          });
        }));
      } else {
        edhocStep(ed, STEP_M1, first, then(function () {
          edhocStep(ed, STEP_SEND, undefined, then(function (m2: Bytes) {
            link.send(m2);
            recv(function (m3) {
              peerMessage(m3, function () {
                edhocStep(ed, STEP_M4, undefined, then(function (m4: Bytes) {
                  link.send(m4);
                  records();
                }));
              });
            });
          }));
        }));
      }
    };
    if (ini) {
      var s = net.connect({ host: "127.0.0.1", port: BENCH[1] }, function () {
        start(espTcpLink(s, E, 4096), null);
      });
    } else {
      net.createServer(function (sock: unknown) {
        var l = espTcpLink(sock as Parameters<typeof espTcpLink>[0], E, 4096);
        l.onData = function (m1: Bytes) {
          start(l, m1);
        };
      }).listen(BENCH[1]);
      print("BENCH listening");
    }
  });
}).then(null, function (e: { code?: string }) {
  done("failed " + (e && e.code));
});
