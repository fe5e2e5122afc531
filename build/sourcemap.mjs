// Source maps of the device build's own rewrites (build/arrows.mjs, build/joinvars.mjs,
// build/rewrite.mjs): each pass edits esbuild's output text and moves esbuild's map along
// with one mechanism, applyEdits (which calls remapSourceMap). Base64 VLQ as the source
// map format defines it.

var B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
var B64I = {};
for (var bi = 0; bi < B64.length; bi++) B64I[B64[bi]] = bi;

function decodeVlq(seg) {
  var out = [];
  var value = 0;
  var shift = 0;
  for (var c of seg) {
    var digit = B64I[c];
    value += (digit & 31) * Math.pow(2, shift);
    if (digit & 32) shift += 5;
    else {
      out.push(value % 2 ? -Math.floor(value / 2) : value / 2);
      value = 0;
      shift = 0;
    }
  }
  return out;
}

function encodeVlq(v) {
  var x = v < 0 ? -v * 2 + 1 : v * 2;
  var s = "";
  do {
    var digit = x % 32;
    x = Math.floor(x / 32);
    if (x > 0) digit |= 32;
    s += B64[digit];
  } while (x > 0);
  return s;
}

function lineStarts(text) {
  var starts = [0];
  for (var i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return starts;
}

/**
 * Moves every generated position of `map` from `oldCode` to where the same text sits in
 * `newCode` (edits: sorted, non-overlapping { start, end, text } on oldCode). A position
 * inside replaced text moves to the start of its replacement; where several land on one
 * column, a segment of text that survived the edits wins, else the first one.
 */
export function remapSourceMap(map, oldCode, newCode, edits) {
  var oldStarts = lineStarts(oldCode);
  var newStarts = lineStarts(newCode);
  // -> [new offset, whether the text there survived the edits]
  function moved(off) {
    var delta = 0;
    for (var e of edits) {
      if (e.start === e.end ? off >= e.start : off >= e.end) delta += e.text.length - (e.end - e.start);
      else if (off >= e.start) return [e.start + delta, false];
      else break;
    }
    return [off + delta, true];
  }
  function lineOf(starts, off) {
    var lo = 0;
    var hi = starts.length - 1;
    while (lo < hi) {
      var mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= off) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
  // Decode to absolute values.
  var segs = [];
  var src = 0;
  var oline = 0;
  var ocol = 0;
  var name = 0;
  var lines = map.mappings.split(";");
  for (var ln = 0; ln < lines.length; ln++) {
    if (!lines[ln]) continue;
    var col = 0;
    for (var raw of lines[ln].split(",")) {
      if (!raw) continue;
      var v = decodeVlq(raw);
      col += v[0];
      var seg = { off: (oldStarts[ln] !== undefined ? oldStarts[ln] : oldCode.length) + col };
      if (v.length >= 4) {
        src += v[1];
        oline += v[2];
        ocol += v[3];
        seg.src = src;
        seg.oline = oline;
        seg.ocol = ocol;
        if (v.length >= 5) {
          name += v[4];
          seg.name = name;
        }
      }
      segs.push(seg);
    }
  }
  // Move and re-encode.
  var byLine = [];
  for (var sg of segs) {
    var mv = moved(sg.off);
    var no = mv[0];
    sg.kept = mv[1];
    var nl = lineOf(newStarts, no);
    sg.line = nl;
    sg.col = no - newStarts[nl];
    (byLine[nl] = byLine[nl] || []).push(sg);
  }
  var outLines = [];
  var p = { src: 0, oline: 0, ocol: 0, name: 0 };
  var nLines = Math.max(newStarts.length, byLine.length);
  for (var l = 0; l < nLines; l++) {
    var list = byLine[l] || [];
    // One segment per column: the one of text that survived the edits, else the first of
    // the replaced text (sort is stable).
    list.sort(function (a, b) { return a.col - b.col || (b.kept ? 1 : 0) - (a.kept ? 1 : 0); });
    list = list.filter(function (sg2, k) { return k === 0 || list[k - 1].col !== sg2.col; });
    var prevCol = 0;
    outLines.push(list.map(function (s) {
      var t = encodeVlq(s.col - prevCol);
      prevCol = s.col;
      if (s.src !== undefined) {
        t += encodeVlq(s.src - p.src) + encodeVlq(s.oline - p.oline) + encodeVlq(s.ocol - p.ocol);
        p.src = s.src;
        p.oline = s.oline;
        p.ocol = s.ocol;
        if (s.name !== undefined) {
          t += encodeVlq(s.name - p.name);
          p.name = s.name;
        }
      }
      return t;
    }).join(","));
  }
  while (outLines.length > 1 && outLines[outLines.length - 1] === "") outLines.pop();
  return Object.assign({}, map, { mappings: outLines.join(";") });
}

/**
 * Applies { start, end, text } edits on `code` (any order; overlapping edits are a bug of
 * the pass, thrown as `who`: ...) and moves `map` along when there is one.
 */
export function applyEdits(code, edits, map, who) {
  if (!edits.length) return { code: code, map: map };
  edits.sort(function (a, b) { return a.start - b.start || a.end - b.end; });
  var out = "";
  var pos = 0;
  for (var ed of edits) {
    if (ed.start < pos) throw new Error(who + ": overlapping edits at " + ed.start);
    out += code.slice(pos, ed.start) + ed.text;
    pos = ed.end;
  }
  out += code.slice(pos);
  return { code: out, map: map ? remapSourceMap(map, code, out, edits) : map };
}
