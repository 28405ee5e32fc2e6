/**
 * A spinner on stderr while waiting for a broker, only when stderr is a TTY: ora is imported on
 * demand, so scripted runs never load it and never see escape codes.
 */
export interface Spinner {
  stop(): void;
}

const NONE: Spinner = { stop: () => undefined };

export async function startSpinner(
  text: string,
  stream: NodeJS.WriteStream = process.stderr,
): Promise<Spinner> {
  if (!stream.isTTY || process.env.NO_COLOR) return NONE;
  const { default: ora } = await import('ora');
  const spinner = ora({ text, stream }).start();
  return { stop: () => spinner.stop() };
}
