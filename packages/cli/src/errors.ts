/** Exit codes, stable for scripts. */
export const EXIT = {
  ok: 0,
  /** The server refused a change, or something failed. */
  failed: 1,
  /** The command line is wrong. */
  usage: 2,
  /** Not signed in (and no credentials given), or the session ended. */
  signedOut: 3,
} as const;

/** A failure the CLI explains in one line and ends with `exit`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exit: number = EXIT.failed,
  ) {
    super(message);
  }
}
