import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { nodeSymCrypto } from "../helpers/lossy-link";
import {
  reconnectHello, reconnectAccept, reconnectFinish, pairingSecret,
  LABEL_PAIRING_SECRET, RC_WANT_EDHOC, RC_UNKNOWN, type Binding
} from "../../src/core/session/reconnect";
import { sessionOpen, sessionSeal, KEYS_KEY, KEYS_IV, KEYS_RX, type Session } from "../../src/core/session/session";
import { edhocExporter } from "../../src/core/edhoc/kdf";
import { encode } from "../../src/core/cbor";
import { toHex, EMPTY, type Bytes } from "../../src/core/bytes";
import { isPairkitError, type PairkitError } from "../../src/core/errors";
import type { SymmetricCrypto } from "../../src/crypto/provider";

var c = nodeSymCrypto();
var SECRET = new Uint8Array(32).fill(0x5a);
var ID_A = new Uint8Array([0xa1]);
var ID_B = new Uint8Array([0xb2, 0xb2]);
var bindA: Binding = { secret: SECRET, self: ID_A, peer: ID_B }; // A's record of B
var bindB: Binding = { secret: SECRET, self: ID_B, peer: ID_A }; // B's record of A

/** The session's send and receive keys (views of its key buffer). */
function sk(s: Session): Bytes { return s.k.subarray(KEYS_KEY, KEYS_IV); }
function rk(s: Session): Bytes { return s.k.subarray(KEYS_RX + KEYS_KEY, KEYS_RX + KEYS_IV); }

function findFor(b: Binding) {
  return function (id: Bytes): Binding | null {
    return toHex(id) === toHex(b.peer) ? b : null;
  };
}

function err(f: () => unknown): PairkitError | null {
  try {
    f();
  } catch (e) {
    if (isPairkitError(e)) return e;
    throw e;
  }
  return null;
}

/** Full fast reconnect A (initiator) -> B (responder). */
function reconnect(cc?: SymmetricCrypto): [Session, Session] {
  var k = cc || c;
  var h = reconnectHello(k, bindA);
  var acc = reconnectAccept(k, h.msg, findFor(bindB));
  expect(acc.s).not.toBe(null);
  var fin = reconnectFinish(k, h.st, acc.msg);
  expect(fin.s!.proven).toBe(true);
  expect(acc.s!.proven).toBe(false);
  expect(sessionOpen(acc.s!, fin.msg)).toBe(null);
  expect(acc.s!.proven).toBe(true);
  return [fin.s!, acc.s!];
}

describe("fast reconnect", function () {
  it("works without asymmetric crypto and carries data both ways", function () {
    var s = reconnect();
    var m = new Uint8Array([1, 2, 3]);
    expect(sessionOpen(s[1], sessionSeal(s[0], m))).toEqual(m);
    expect(sessionOpen(s[0], sessionSeal(s[1], m))).toEqual(m);
  });

  it("the pairing secret is the documented exporter output", function () {
    var prk = new Uint8Array(32).fill(3);
    expect(toHex(pairingSecret(c, prk))).toBe(toHex(edhocExporter(c, prk, LABEL_PAIRING_SECRET, EMPTY, 32)));
    expect(LABEL_PAIRING_SECRET).toBeGreaterThanOrEqual(65000);
  });

  it("property: new keys every time, and no (key, nonce) pair ever repeats over many reconnects", function () {
    var used: { [k: string]: 1 } = {};
    var keys: { [k: string]: 1 } = {};
    var dup = 0;
    var spy: SymmetricCrypto = Object.assign({}, c, {
      aeadSeal: function (k: Bytes, n: Bytes, a: Bytes, p: Bytes) {
        var key = toHex(k) + "/" + toHex(n);
        if (used[key]) dup++;
        used[key] = 1;
        return c.aeadSeal(k, n, a, p);
      }
    });
    for (var i = 0; i < 150; i++) {
      var s = reconnect(spy);
      for (var j = 0; j < 3; j++) {
        sessionOpen(s[1], sessionSeal(s[0], new Uint8Array([j])));
        sessionOpen(s[0], sessionSeal(s[1], new Uint8Array([j])));
      }
      for (var k of [sk(s[0]), rk(s[0])]) {
        expect(keys[toHex(k)]).toBeUndefined();
        keys[toHex(k)] = 1;
      }
    }
    expect(dup).toBe(0);
    expect(Object.keys(used).length).toBe(150 * 8);
  });

  it("property: same nonces from a broken RNG on one side still give new keys (the other side's nonce)", function () {
    fc.assert(fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), function (fixed) {
      var stuck = nodeSymCrypto(function (n) { return fixed.slice(0, n); });
      var h1 = reconnectHello(stuck, bindA);
      var h2 = reconnectHello(stuck, bindA);
      expect(toHex(h1.msg)).toBe(toHex(h2.msg)); // the initiator repeats itself...
      var a1 = reconnectAccept(c, h1.msg, findFor(bindB));
      var a2 = reconnectAccept(c, h2.msg, findFor(bindB));
      return toHex(sk(a1.s!)) !== toHex(sk(a2.s!)); // ...but the responder's nonce makes the keys new
    }), { numRuns: 20 });
  });

  it("a replayed HELLO_I yields a session the attacker cannot use", function () {
    var h = reconnectHello(c, bindA);
    var acc1 = reconnectAccept(c, h.msg, findFor(bindB));
    var fin = reconnectFinish(c, h.st, acc1.msg);
    sessionOpen(acc1.s!, fin.msg);
    // The attacker replays HELLO_I and then A's old confirm and data records.
    var acc2 = reconnectAccept(c, h.msg, findFor(bindB));
    expect(toHex(rk(acc2.s!))).not.toBe(toHex(rk(acc1.s!)));
    var e = err(function () { sessionOpen(acc2.s!, fin.msg); });
    expect(e && e.code).toBe("SESSION_AUTH");
    var data = sessionSeal(fin.s!, new Uint8Array([9]));
    expect(err(function () { sessionOpen(acc2.s!, data); })!.code).toBe("SESSION_AUTH");
    expect(acc2.s!.proven).toBe(false);
  });

  it("a replayed HELLO_R never completes a new reconnect; a failed finish changes nothing", function () {
    var h1 = reconnectHello(c, bindA);
    var acc1 = reconnectAccept(c, h1.msg, findFor(bindB));
    reconnectFinish(c, h1.st, acc1.msg);
    var h2 = reconnectHello(c, bindA);
    expect(err(function () { reconnectFinish(c, h2.st, acc1.msg); })!.code).toBe("RECONNECT_AUTH");
    expect(h2.st.done).toBe(false);
    // The genuine answer still works afterwards.
    var acc2 = reconnectAccept(c, h2.msg, findFor(bindB));
    var fin2 = reconnectFinish(c, h2.st, acc2.msg);
    expect(sessionOpen(acc2.s!, fin2.msg)).toBe(null);
    expect(err(function () { reconnectFinish(c, h2.st, acc2.msg); })!.code).toBe("RECONNECT_STATE");
  });

  it("reflection: a hello sent back to its sender is refused; records reflected to their sender do not open", function () {
    var h = reconnectHello(c, bindA);
    // A also answers reconnects (as responder) with its own binding of B: the id in the hello is A's own.
    var r = reconnectAccept(c, h.msg, function () { return bindA; });
    expect(r.s).toBe(null);
    var s = reconnect();
    var rec = sessionSeal(s[0], new Uint8Array([1]));
    expect(err(function () { sessionOpen(s[0], rec); })!.code).toBe("SESSION_AUTH");
  });

  it("crossing hellos (both sides initiate at once) give two unrelated sessions", function () {
    var hA = reconnectHello(c, bindA);
    var hB = reconnectHello(c, bindB);
    var accAtB = reconnectAccept(c, hA.msg, findFor(bindB));
    var accAtA = reconnectAccept(c, hB.msg, findFor(bindA));
    var finA = reconnectFinish(c, hA.st, accAtB.msg);
    var finB = reconnectFinish(c, hB.st, accAtA.msg);
    expect(toHex(sk(finA.s!))).not.toBe(toHex(sk(finB.s!)));
    expect(toHex(sk(finA.s!))).not.toBe(toHex(sk(accAtA.s!)));
    var rec = sessionSeal(finA.s!, new Uint8Array([7]));
    expect(err(function () { sessionOpen(accAtA.s!, rec); })!.code).toBe("SESSION_AUTH");
    expect(sessionOpen(accAtB.s!, finA.msg)).toBe(null);
    expect(sessionOpen(accAtB.s!, rec)).toEqual(new Uint8Array([7]));
  });

  it("a wrong pairing secret fails authentication on both sides", function () {
    var other: Binding = { secret: new Uint8Array(32).fill(1), self: ID_B, peer: ID_A };
    var h = reconnectHello(c, bindA);
    var acc = reconnectAccept(c, h.msg, findFor(other));
    expect(err(function () { reconnectFinish(c, h.st, acc.msg); })!.code).toBe("RECONNECT_AUTH");
  });

  it("refusals: the responder may require full EDHOC; unknown peers are refused", function () {
    var h = reconnectHello(c, bindA);
    var r1 = reconnectAccept(c, h.msg, findFor(bindB), { requireEdhoc: true });
    expect(r1.s).toBe(null);
    var e1 = err(function () { reconnectFinish(c, h.st, r1.msg); })!;
    expect(e1.code).toBe("RECONNECT_REFUSED");
    expect(e1.detail).toBe(RC_WANT_EDHOC);
    var r2 = reconnectAccept(c, h.msg, function () { return null; });
    expect(err(function () { reconnectFinish(c, h.st, r2.msg); })!.detail).toBe(RC_UNKNOWN);
    // A binding of someone else than the hello names is not used.
    var r3 = reconnectAccept(c, h.msg, function () { return { secret: SECRET, self: ID_B, peer: new Uint8Array([5]) }; });
    expect(r3.s).toBe(null);
    var bad = { secret: new Uint8Array(16), self: ID_B, peer: ID_A };
    expect(err(function () { reconnectAccept(c, h.msg, function () { return bad; }); })!.code).toBe("RECONNECT_BAD_BINDING");
  });

  it("malformed messages are RECONNECT_FORMAT; random bytes only ever raise typed errors", function () {
    var h = reconnectHello(c, bindA);
    var cases = [
      new Uint8Array([]), new Uint8Array([0xff]), encode([1, ID_A]), encode([1, ID_A, new Uint8Array(15)]),
      encode([2, ID_A, new Uint8Array(16)]), encode([1, new Uint8Array(0), new Uint8Array(16)]),
      encode([1, new Uint8Array(65), new Uint8Array(16)]), encode({ $map: 1, k: [1], v: [2] })
    ];
    for (var m of cases) expect(err(function () { reconnectAccept(c, m, findFor(bindB)); })!.code).toBe("RECONNECT_FORMAT");
    expect(err(function () { reconnectFinish(c, h.st, encode([2, new Uint8Array(15), new Uint8Array(10)])); })!.code).toBe("RECONNECT_FORMAT");
    fc.assert(fc.property(fc.uint8Array({ maxLength: 60 }), function (junk) {
      var e1 = err(function () { reconnectAccept(c, junk, findFor(bindB)); });
      var e2 = err(function () { reconnectFinish(c, h.st, junk); });
      return (e1 === null || /^RECONNECT_/.test(e1.code)) && (e2 === null || /^RECONNECT_/.test(e2.code)) && !h.st.done;
    }), { numRuns: 400 });
  });
});
