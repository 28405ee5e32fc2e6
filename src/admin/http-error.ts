/** An API failure: the status code and a message the client is shown as `{ "error": ... }`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** 400 naming the field at fault. */
export function badInput(field: string, problem: string): HttpError {
  return new HttpError(400, `${field}: ${problem}`);
}
