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
  // A pseudo-terminal without a size (e.g. under script(1)) reports 0 columns; ora cannot draw there.
  if (!stream.isTTY || !(stream.columns > 0) || process.env.NO_COLOR) return NONE;
  const { default: ora } = await import('ora');
  // discardStdin would put stdin in raw mode and swallow Ctrl-C; SIGINT must keep meaning exit 130.
  const spinner = ora({ text, stream, discardStdin: false }).start();
  return { stop: () => spinner.stop() };
}
