/**
 * Ambient declarations for device code: the Espruino 2v29 globals pairkit uses, and the
 * constants build.mjs defines per board (boards/<name>.json). Written to type-check both
 * with Node's types (tsconfig.json) and without them (tsconfig.device.json): `require`,
 * `process` and the timers merge with @types/node instead of clashing with it.
 *
 * Only what exists on the device is declared; the compatibility gate (build/gate.mjs)
 * still checks the final bundle.
 */

/**
 * A board profile as the firmware sees it: boards/<name>.json without the fields only the
 * build uses (notes, title, modules, globals, espruinoBoard, firmware, cpuMHz, ramKB,
 * secureElement.wiring).
 */
interface PkBoardProfile {
  name: string;
  chip: string;
  jsVars: number;
  storageBytes: number;
  budgetBytes: number;
  budgetVars: number;
  /** The board this profile stands in for (linux emulates puckjs). */
  emulates?: string;
  transport: "ble" | "tcp" | "usb-serial" | "none";
  tcp?: { host?: string; port: number; network?: string; credentialsFile?: string };
  buttons: { name: string; pin: string | null; mode: string; activeHigh: boolean; virtual?: boolean }[];
  leds: { name: string; pin: string | null; color: string; virtual?: boolean }[];
  secureElement: {
    chip: string;
    /** "I2C1".."I2C3" (hardware), "soft" (new I2C()), or "tcp" (bridge to the host simulator). */
    bus: string;
    sda?: string;
    scl?: string;
    host?: string;
    port?: number;
    /** 7-bit I2C address (0x60 for an ATECC608 as shipped). */
    address: number;
    bitrate?: number;
  };
  crypto: { sha256: boolean; aes: boolean; aesModes: string[]; aesCcm: boolean; pbkdf2: boolean };
}

/** The board profile (a JSON literal substituted by esbuild: read it once into a var). */
declare const PK_BOARD: PkBoardProfile;
/** The board profile as JSON text (the firmware parses it at boot, so it is not resident). */
declare const PK_BOARD_JSON: string;
declare const PK_BOARD_NAME: string;
/** require("crypto").SHA256 exists on this board. */
declare const PK_NATIVE_SHA256: boolean;
/** require("crypto").AES.encrypt/decrypt (ECB, CBC, CTR, CFB) exist on this board. */
declare const PK_NATIVE_AES: boolean;
declare const PK_TRANSPORT: "ble" | "tcp" | "usb-serial" | "none";
declare const PK_DEBUG: boolean;

/** Espruino's process.memory() result, in variables (blocks). */
interface EspruinoMemory {
  free: number;
  usage: number;
  total: number;
  history: number;
  gc: number;
  gctime: number;
  blocksize: number;
}

declare namespace NodeJS {
  interface Require {
    (id: string): any;
  }
  interface Process {
    /** Espruino only: variable usage of the interpreter. */
    memory(): EspruinoMemory;
  }
}
declare var require: NodeJS.Require;
declare var process: NodeJS.Process;

declare function setTimeout(callback: (...args: any[]) => void, ms?: number, ...args: any[]): any;
declare function clearTimeout(id?: any): void;
declare function setInterval(callback: (...args: any[]) => void, ms?: number, ...args: any[]): any;
declare function clearInterval(id?: any): void;

/** Pins are named by strings ("D5", "H1", "C13") or Pin values (LED1, BTN1, D5). */
type EspruinoPin = string | number | { write(v: boolean | number): void; read(): boolean; set(): void; reset(): void };

interface EspruinoWatchEvent {
  state: boolean;
  time: number;
  lastTime: number;
}

declare function setWatch(
  fn: (e: EspruinoWatchEvent) => void,
  pin: EspruinoPin,
  options?: { repeat?: boolean; edge?: "rising" | "falling" | "both"; debounce?: number; irq?: boolean },
): number;
declare function clearWatch(id?: number): void;
declare function digitalWrite(pin: EspruinoPin, value: boolean | number): void;
declare function digitalRead(pin: EspruinoPin): number;
declare function pinMode(pin: EspruinoPin, mode: string): void;
/** Seconds since 1970, with sub-millisecond resolution. */
declare function getTime(): number;
declare function print(...args: any[]): void;

interface EspruinoI2C {
  setup(options: { sda: EspruinoPin; scl: EspruinoPin; bitrate?: number }): void;
  writeTo(address: number, data: any): void;
  readFrom(address: number, quantity: number): Uint8Array;
}
declare var I2C: { new (): EspruinoI2C };
declare var I2C1: EspruinoI2C;

interface EspruinoE {
  /** 32 random bits from the hardware RNG. */
  hwRand(): number;
  on(event: string, fn: (...args: any[]) => void): void;
  toUint8Array(...args: any[]): Uint8Array;
  toString(...args: any[]): string;
  kickWatchdog(): void;
  getTemperature(): number;
  /** Moves the REPL; null removes it; force keeps it from moving back on a new connection. */
  setConsole(device: string | null, options?: { force?: boolean }): void;
}
declare var E: EspruinoE;

/** Bluetooth LE (nRF52 boards only: guard every use with PK_TRANSPORT === "ble"). */
declare var NRF: any;

declare var LED1: EspruinoPin;
declare var LED2: EspruinoPin;
declare var LED3: EspruinoPin;
declare var BTN: EspruinoPin;
declare var BTN1: EspruinoPin;
