// CBOR: deterministic encoding, strict decoding with typed errors, and properties.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { fromHex, toHex } from "../../src/core/bytes";
import { cmap, decode, decodeSeq, encHead, encode, encodeSeq, isMap, mapGet, readAs, readRaw, reader, type CborMap, type CborValue } from "../../src/core/cbor";
import { isPairkitError } from "../../src/core/errors";
import { sigStructure1, encStructure0 } from "../../src/core/cose";

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (!isPairkitError(e)) throw e;
    return e.code;
  }
  return "ok";
}

describe("CBOR encoding (RFC 8949 Appendix A examples and deterministic rules)", () => {
  const cases: [CborValue, string][] = [
    [0, "00"], [1, "01"], [10, "0a"], [23, "17"], [24, "1818"], [25, "1819"], [100, "1864"], [1000, "1903e8"],
    [1000000, "1a000f4240"], [1000000000000, "1b000000e8d4a51000"], [9007199254740992, "1b0020000000000000"],
    [-1, "20"], [-10, "29"], [-100, "3863"], [-1000, "3903e7"], [-9007199254740992, "3b001fffffffffffff"],
    [false, "f4"], [true, "f5"], [null, "f6"], [new Uint8Array([1, 2, 3, 4]), "4401020304"], ["", "60"], ["a", "6161"],
    ["IETF", "6449455446"], ["\u00fc", "62c3bc"], ["\u6c34", "63e6b0b4"], ["\ud800\udd51", "64f0908591"],
    [[], "80"], [[1, 2, 3], "83010203"], [[1, [2, 3], [4, 5]], "8301820203820405"], [cmap([], []), "a0"],
    [cmap([1, 3], [2, 4]), "a201020304"], [cmap(["a", "b"], [1, [2, 3]]), "a26161016162820203"],
  ];
  for (const [v, h] of cases) {
    it(`encodes ${h}`, () => {
      expect(toHex(encode(v))).toBe(h);
      expect(toHex(encode(decode(fromHex(h), true)))).toBe(h);
    });
  }

  it("sorts map keys by their encoded bytes", () => {
    expect(toHex(encode(cmap([-1, "z", 10, 1, 100], [0, 0, 0, 0, 0])))).toBe("a5" + "0100" + "0a00" + "186400" + "2000" + "617a00");
  });

  it("refuses non-integers, values beyond 2^53 and duplicate keys", () => {
    expect(codeOf(() => encode(1.5))).toBe("CBOR_UNSUPPORTED");
    expect(codeOf(() => encode(2 ** 54))).toBe("CBOR_UNSUPPORTED");
    expect(codeOf(() => encode(cmap([1, 1], [0, 0])))).toBe("CBOR_DUP_KEY");
  });

  it("builds COSE Sig_structure and Enc_structure", () => {
    expect(toHex(sigStructure1(fromHex("a10126"), new Uint8Array(0), fromHex("01")))).toBe("846a5369676e61747572653143a1012640" + "4101");
    expect(toHex(encStructure0(new Uint8Array(0), fromHex("aa")))).toBe("8368456e63727970743040" + "41aa");
  });
});

describe("strict CBOR decoding", () => {
  const errs: [string, string, boolean?][] = [
    ["", "CBOR_TRUNCATED"],
    ["18", "CBOR_TRUNCATED"],
    ["1a0001", "CBOR_TRUNCATED"],
    ["5f", "CBOR_INDEFINITE"],
    ["9f01ff", "CBOR_INDEFINITE"],
    ["1c", "CBOR_RESERVED"],
    ["5d", "CBOR_RESERVED"],
    ["43010203" + "00", "CBOR_TRAILING"],
    ["4401", "CBOR_LENGTH"],
    ["6401", "CBOR_LENGTH"],
    ["83010203" + "04", "CBOR_TRAILING"],
    ["9a7fffffff", "CBOR_LENGTH"],
    ["ba7fffffff", "CBOR_LENGTH"],
    ["1b0020000000000001", "CBOR_INT_RANGE"],
    ["3b0020000000000000", "CBOR_INT_RANGE"],
    ["f97e00", "CBOR_UNSUPPORTED"],
    ["f7", "CBOR_UNSUPPORTED"],
    ["f814", "CBOR_UNSUPPORTED"],
    ["fb7ff8000000000000", "CBOR_UNSUPPORTED"],
    ["f9", "CBOR_TRUNCATED"],
    ["a2010201", "CBOR_LENGTH"],
    ["a10118", "CBOR_TRUNCATED"],
    ["a201020103", "CBOR_DUP_KEY"],
    ["a1800102", "CBOR_UNSUPPORTED"],
    ["62c328", "BAD_UTF8"],
    ["63eda080", "BAD_UTF8"],
    ["62c0af", "BAD_UTF8"],
    ["1817", "CBOR_NON_CANONICAL", true],
    ["190017", "CBOR_NON_CANONICAL", true],
    ["1a0000ffff", "CBOR_NON_CANONICAL", true],
    ["1b00000000ffffffff", "CBOR_NON_CANONICAL", true],
    ["580101", "CBOR_NON_CANONICAL", true],
    ["a203040102", "CBOR_NON_CANONICAL", true],
  ];
  for (const [h, code, det] of errs) {
    it(`${h || "(empty)"} -> ${code}${det ? " (deterministic)" : ""}`, () => {
      expect(codeOf(() => decode(fromHex(h), det))).toBe(code);
    });
  }

  it("integers and tags up to 2^53, negative integers down to -2^53", () => {
    expect(decode(fromHex("3b001fffffffffffff"))).toBe(-(2 ** 53));
    expect(decode(fromHex("1b0020000000000000"))).toBe(2 ** 53);
    expect(decode(fromHex("db0020000000000000" + "01"))).toEqual({ $tag: 2 ** 53, v: 1 });
  });

  it("accepts non-shortest heads and unsorted keys outside deterministic mode", () => {
    expect(decode(fromHex("1817"))).toBe(23);
    expect(isMap(decode(fromHex("a203040102")))).toBe(true);
  });

  it("allows nesting of 8 and rejects nesting deeper than 8", () => {
    expect(codeOf(() => decode(fromHex("81".repeat(8) + "01")))).toBe("ok");
    expect(codeOf(() => decode(fromHex("81".repeat(9) + "01")))).toBe("CBOR_DEPTH");
    expect(codeOf(() => encode(JSON.parse("[".repeat(10) + "1" + "]".repeat(10))))).toBe("CBOR_DEPTH");
  });

  it("decodes CBOR sequences", () => {
    expect(decodeSeq(fromHex("0102416180"))).toEqual([1, 2, new Uint8Array([0x61]), []]);
    expect(toHex(encodeSeq([1, "a", new Uint8Array(0)]))).toBe("01616140");
  });
});

const cborValue: fc.Arbitrary<CborValue> = fc.letrec((tie) => ({
  leaf: fc.oneof(
    fc.integer({ min: -(2 ** 53), max: 2 ** 53 }),
    fc.uint8Array({ maxLength: 40 }),
    fc.string({ maxLength: 20, unit: "grapheme" }),
    fc.constantFrom(true, false, null),
  ),
  node: fc.oneof({ depthSize: "small", withCrossShrink: true }, tie("leaf"), fc.array(tie("node"), { maxLength: 4 }), tie("map")),
  map: fc.uniqueArray(fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.string({ maxLength: 6 })), { maxLength: 4, selector: (k) => typeof k + ":" + String(k) })
    .chain((keys) => fc.array(tie("node"), { minLength: keys.length, maxLength: keys.length }).map((vals) => cmap(keys, vals as CborValue[]))),
})).node as fc.Arbitrary<CborValue>;

describe("streaming reader", () => {
  it("reads typed items, map entries of a known layout, and checks skipped items fully", () => {
    const r = reader(fromHex("a2" + "01" + "26" + "04" + "4401020304"), true);
    expect(readAs(r, 5)).toBe(2);
    expect(readAs(r, -1, 1)).toBe(-7);
    expect(toHex(readAs(r, 2, 4))).toBe("01020304");
    expect(r.p).toBe(9);
    expect(codeOf(() => readAs(reader(fromHex("0226")), -1, 1))).toBe("CBOR_TYPE");
    expect(codeOf(() => readAs(reader(fromHex("4101")), 3))).toBe("CBOR_TYPE");
    const s = reader(fromHex("82" + "a10102" + "6161" + "01"));
    expect(toHex(readRaw(s))).toBe("82a101026161");
    expect(codeOf(() => readRaw(reader(fromHex("82a1010262c328"))))).toBe("BAD_UTF8");
    expect(codeOf(() => readRaw(reader(fromHex("a2010201"))))).toBe("CBOR_LENGTH");
    expect(codeOf(() => readRaw(reader(fromHex("a203040102"), true)))).toBe("CBOR_NON_CANONICAL");
    // Whole items: 8 builds the value (byte strings copied out of the input), 9 only checks.
    const w = reader(fromHex("82" + "4101" + "a1616102" + "01"));
    const v = readAs(w, 8) as [Uint8Array, unknown];
    expect(v[0].buffer).not.toBe(w.b.buffer);
    expect(mapGet(v[1] as CborMap, "a")).toBe(2);
    expect(readAs(w, 8)).toBe(1);
    expect(codeOf(() => readAs(reader(fromHex("81".repeat(9) + "01")), 9))).toBe("CBOR_DEPTH");
  });

  it("heads in the shortest form, up to 2^53", () => {
    for (const n of [0, 23, 24, 255, 256, 65535, 65536, 4294967295, 4294967296, 9007199254740992]) {
      const h = encHead(0, n);
      expect(readAs(reader(h, true), 0)).toBe(n);
      expect(h.length).toBe(n < 24 ? 1 : n < 256 ? 2 : n < 65536 ? 3 : n < 4294967296 ? 5 : 9);
    }
  });
});

describe("CBOR properties", () => {
  it("round trip: decode(encode(v)) re-encodes to the same bytes, in deterministic mode", () => {
    fc.assert(fc.property(cborValue, (v) => {
      let e: Uint8Array;
      try {
        e = encode(v);
      } catch (err) {
        // Only depth can make a generated value unencodable.
        expect(isPairkitError(err) && err.code).toBe("CBOR_DEPTH");
        return;
      }
      expect(toHex(encode(decode(e, true)))).toBe(toHex(e));
    }), { numRuns: 500 });
  });

  it("decoding random bytes only ever yields a value or a typed error", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), fc.boolean(), (b, det) => {
      try {
        decode(b, det);
      } catch (e) {
        expect(isPairkitError(e), String(e)).toBe(true);
      }
    }), { numRuns: 3000 });
  });
});
