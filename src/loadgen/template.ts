/**
 * Topic templates: `%i` is the client's index (0-based, so `bench/%i` gives bench/0..bench/N-1) and
 * `%c` its client id; `%%` is a literal percent sign. Expanded once per client, never per message.
 */
export function expandTopic(template: string, index: number, clientId: string): string {
  return template.replace(/%([ic%])/g, (_, c: string) =>
    c === 'i' ? String(index) : c === 'c' ? clientId : '%',
  );
}
