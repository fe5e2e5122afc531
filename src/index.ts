/**
 * pairkit's public API for hosts and apps (bundle it with your app's bundler). Test-only
 * seams (src/core/edhoc/testing.ts, src/host/sim/seeded.ts) are deliberately not exported.
 */
export { perr, isPairkitError, type PairkitError } from "./core/errors";
export { toHex, fromHex, concat, type Bytes } from "./core/bytes";
export { EdhocInitiator, EdhocResponder, edhocErrorMessage, type EdhocOptions, type OwnCredential, type PeerCredential, type PeerHello } from "./core/edhoc/edhoc";
export { edhocExporter, edhocKeyUpdate } from "./core/edhoc/kdf";
export { makeCcs, ccsIdCred, ccsInfo } from "./core/edhoc/ccs";
export { parseCredential, validateChain, verifyAnchor, parseDenyList, verifyDenyList, acceptDenyList, idCredByValue, readIdCredParts, type Credential, type ValidatedPeer, type DenyList } from "./core/cred/index";
export { sessionNew, sessionSeal, sessionOpen, sessionClose, type Session } from "./core/session/session";
export { pairingSecret, reconnectHello, reconnectAccept, reconnectFinish } from "./core/session/reconnect";
export { channelOpen, channelSend, channelTick, channelClose, type Link, type Transport, type Channel } from "./core/link";
export { Pairing, DEFAULT_POLICY, type PairingPolicy, type Platform, type Identity } from "./core/pairing/controller";
export { createNobleProvider, type NobleProvider } from "./crypto/noble";
export { CRV_P256, CRV_X25519, CRV_ED25519, type CryptoProvider, type KeyPair, type PrivateKeyRef } from "./crypto/provider";
export { tcpConnect, tcpListen } from "./host/transport/tcp";
