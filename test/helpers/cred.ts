// The manufacturer PKI the credential-chain tests share: two roots, a factory line CA, and
// devices and an app issued under them.
import type { ChainOptions } from "../../src/core/cred/chain";
import type { NobleProvider } from "../../src/crypto/noble";
import { memIssue, memRoot, type MemEntity } from "../../src/host/ca/memory";

export interface CredWorld {
  root: MemEntity;
  /** A root the devices do not chain to. */
  root2: MemEntity;
  /** The factory line CA under root, and a device it issued. */
  line: MemEntity;
  dev: MemEntity;
  /** A device and an app issued by root itself. */
  devRoot: MemEntity;
  app: MemEntity;
  /** Trust in root, with the line CA as the known intermediate. */
  anchors: ChainOptions;
}

export async function credWorld(c: NobleProvider): Promise<CredWorld> {
  const root = await memRoot(c, "acme-root");
  const root2 = await memRoot(c, "other");
  const line = await memIssue(c, root, "acme-l1", "ca", 0);
  const dev = await memIssue(c, line, "00000001", "device", "puck");
  const devRoot = await memIssue(c, root, "00000002", "device", "puck");
  const app = await memIssue(c, root, "app-7", "app", "ios");
  return { root, root2, line, dev, devRoot, app, anchors: { anchors: [root.cred.bytes], intermediates: [line.cred.bytes] } };
}
