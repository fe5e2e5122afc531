/** Manufacturer credentials: format, chain validation, revocation and EDHOC ID_CRED helpers. */
export * from "./format";
export * from "./chain";
export * from "./deny";
export * from "./idcred";
