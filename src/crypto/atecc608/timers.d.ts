/**
 * Timer globals (and atob) the ATECC608 driver uses. Espruino and Node both provide them (both pass
 * extra arguments on to the callback); the device type-check (tsconfig.device.json) has no
 * Node types, so they are declared here. Declared as overloads, they merge with Node's
 * declarations in the host type-check.
 */
declare function setTimeout(callback: (...args: any[]) => void, ms: number, ...args: any[]): any;
declare function clearTimeout(handle: any): void;
/** Base64 to a binary string (Espruino and Node both have it). */
declare function atob(data: string): string;
