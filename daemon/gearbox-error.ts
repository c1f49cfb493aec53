// The daemon's one error type: a JSON-RPC code from ErrorCodes with a message for the user. It
// crosses every boundary (model host IPC, providers, ledger); the server turns it into a ResponseError.
export class GearboxError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = 'GearboxError';
  }
}
