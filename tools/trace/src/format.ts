import { styleText } from 'node:util';

/** µs as a person reads them: 0.3ms, 178.8ms, 2.74s. */
export function duration(us: number): string {
  return Math.abs(us) >= 1_000_000 ? `${(us / 1_000_000).toFixed(2)}s` : `${(us / 1000).toFixed(1)}ms`;
}

/** A change in µs, with its sign: +2.74s, -0.3ms. */
export function signed(us: number): string {
  return `${us < 0 ? '-' : '+'}${duration(Math.abs(us))}`;
}

/** A share (0..1) as a percentage. */
export function percent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

/** µs since the epoch as UTC, to the millisecond: what a person pastes into a report. */
export function utc(us: number): string {
  return `${new Date(Math.floor(us / 1000)).toISOString().replace('T', ' ').replace('Z', '')} UTC`;
}

/** The first 8 hex digits of an ID: enough to tell spans apart on a screen. */
export const short = (id: string) => id.slice(0, 8);

export type Style = Parameters<typeof styleText>[0];
/** Styles `text` on a colour terminal, and returns it unchanged otherwise. */
export type Paint = (style: Style, text: string) => string;

/**
 * A painter for stdout. Colours only on a terminal and never with NO_COLOR (https://no-color.org):
 * a transcript pasted into an issue must not carry escape codes. The caller decides; styleText
 * is told not to second-guess it.
 */
export function painter(color: boolean): Paint {
  return color ? (style, text) => styleText(style, text, { validateStream: false }) : (_style, text) => text;
}

/** Whether stdout should be coloured: a terminal, and NO_COLOR unset or empty. */
export function wantsColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  return stream.isTTY === true && !env.NO_COLOR;
}

// Red is kept for errors, so no service is red.
const PALETTE: Style[] = ['cyan', 'magenta', 'yellow', 'green', 'blue', 'cyanBright', 'magentaBright', 'yellowBright', 'greenBright', 'blueBright'];

/**
 * A colour per service, by its place among the trace's service names sorted: every checkout
 * (the same six services) looks alike, whatever order its spans arrived in.
 */
export function serviceStyles(services: string[]): (service: string) => Style {
  const sorted = [...new Set(services)].sort();
  return (service) => PALETTE[Math.max(0, sorted.indexOf(service)) % PALETTE.length];
}
