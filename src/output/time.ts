/**
 * Local-time formatting for mosquitto's %I, %j and @X sequences (strftime conversions, C locale).
 * Node has no strftime; this covers the conversions POSIX defines.
 */

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

function pad(n: number, width = 2, fill = '0'): string {
  return String(n).padStart(width, fill);
}

/** ±hhmm east of UTC, as strftime's %z. */
export function utcOffset(d: Date): string {
  const minutes = -d.getTimezoneOffset();
  const sign = minutes >= 0 ? '+' : '-';
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`;
}

function dayOfYear(d: Date): number {
  const start = new Date(d.getFullYear(), 0, 1);
  return (
    Math.round(
      (new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime() - start.getTime()) / 86_400_000,
    ) + 1
  );
}

function weekOfYear(d: Date, firstDay: number): number {
  const yday = dayOfYear(d) - 1;
  return Math.floor((yday + 7 - ((d.getDay() - firstDay + 7) % 7)) / 7);
}

/** One strftime conversion; undefined for a character strftime does not define. */
export function strftimeConversion(c: string, d: Date): string | undefined {
  const h12 = d.getHours() % 12 || 12;
  switch (c) {
    case 'a':
      return DAYS[d.getDay()]!.slice(0, 3);
    case 'A':
      return DAYS[d.getDay()]!;
    case 'b':
    case 'h':
      return MONTHS[d.getMonth()]!.slice(0, 3);
    case 'B':
      return MONTHS[d.getMonth()]!;
    case 'c':
      return `${strftimeConversion('a', d)} ${strftimeConversion('b', d)} ${pad(d.getDate(), 2, ' ')} ${strftimeConversion('T', d)} ${d.getFullYear()}`;
    case 'C':
      return pad(Math.floor(d.getFullYear() / 100));
    case 'd':
      return pad(d.getDate());
    case 'D':
      return `${pad(d.getMonth() + 1)}/${pad(d.getDate())}/${pad(d.getFullYear() % 100)}`;
    case 'e':
      return pad(d.getDate(), 2, ' ');
    case 'F':
      return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
    case 'H':
      return pad(d.getHours());
    case 'I':
      return pad(h12);
    case 'j':
      return pad(dayOfYear(d), 3);
    case 'k':
      return pad(d.getHours(), 2, ' ');
    case 'l':
      return pad(h12, 2, ' ');
    case 'm':
      return pad(d.getMonth() + 1);
    case 'M':
      return pad(d.getMinutes());
    case 'n':
      return '\n';
    case 'p':
      return d.getHours() < 12 ? 'AM' : 'PM';
    case 'r':
      return `${pad(h12)}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${strftimeConversion('p', d)}`;
    case 'R':
      return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
    case 's':
      return String(Math.floor(d.getTime() / 1000));
    case 'S':
      return pad(d.getSeconds());
    case 't':
      return '\t';
    case 'T':
      return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
    case 'u':
      return String(d.getDay() || 7);
    case 'U':
      return pad(weekOfYear(d, 0));
    case 'w':
      return String(d.getDay());
    case 'W':
      return pad(weekOfYear(d, 1));
    case 'x':
      return `${pad(d.getMonth() + 1)}/${pad(d.getDate())}/${pad(d.getFullYear() % 100)}`;
    case 'X':
      return strftimeConversion('T', d);
    case 'y':
      return pad(d.getFullYear() % 100);
    case 'Y':
      return String(d.getFullYear());
    case 'z':
      return utcOffset(d);
    case 'Z':
      return (
        Intl.DateTimeFormat('en-US', { timeZoneName: 'short' })
          .formatToParts(d)
          .find((p) => p.type === 'timeZoneName')?.value ?? ''
      );
    case '%':
      return '%';
    default:
      return undefined;
  }
}

/** ISO 8601 in local time as mosquitto's %I prints it: 2016-08-10T09:47:38+0100. */
export function isoLocal(d: Date): string {
  return `${strftimeConversion('F', d)}T${strftimeConversion('T', d)}${utcOffset(d)}`;
}
