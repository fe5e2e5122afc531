// Injected into device bundles (build/bundle.mjs): the bundle refers to these globals
// through one variable each, which the minifier names with a letter or two. Uint8Array
// alone appears about 70 times in a bundle (about 0.6 KB). Only the shipped pass uses it;
// the gate's source pass still sees the globals by name.
var U8 = Uint8Array;
var P = Promise;
export { U8 as Uint8Array, P as Promise };
