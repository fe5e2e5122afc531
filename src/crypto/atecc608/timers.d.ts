/**
 * Timer globals the ATECC608 driver uses. Espruino and Node both provide them; the
 * device type-check (tsconfig.device.json) has no Node types, so they are declared here.
 * Declared as overloads, they merge with Node's declarations in the host type-check.
 */
declare function setTimeout(callback: () => void, ms: number): any;
declare function clearTimeout(handle: any): void;
