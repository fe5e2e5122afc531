export interface Command {
  /** One or two words: "interop", "ca init". */
  name: string;
  summary: string;
  usage: string;
  run(args: string[]): Promise<number>;
}
