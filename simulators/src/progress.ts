/**
 * The progress line: rewritten in place on a terminal, one line every 10 s
 * otherwise (logs and CI).
 */
import type { Simulator, SimulatorStats } from './simulator.js';

const TTY_REFRESH_MS = 1000;
const LOG_REFRESH_MS = 10_000;

function clock(s: number): string {
  const t = Math.floor(s);
  const hh = String(Math.floor(t / 3600)).padStart(2, '0');
  const mm = String(Math.floor((t % 3600) / 60)).padStart(2, '0');
  const ss = String(t % 60).padStart(2, '0');
  return `${hh}:${mm}:${ss}`;
}

/** Messages a second over the last progress interval. */
export interface Rates {
  offered: number;
  acked: number;
}

const rate = (r: number): string => (r >= 100 ? String(Math.round(r)) : r.toFixed(1));

export function formatProgress(s: SimulatorStats, rates: Rates): string {
  const parts = [
    clock(s.elapsedS),
    `offered ${rate(rates.offered)}/s`,
    `acked ${rate(rates.acked)}/s`,
    `sent ${s.sent}`,
    `in flight ${s.inFlight}`,
    `conns up ${s.connected}/${s.connections}${s.refused ? ` (${s.refused} refused)` : ''}`,
    `devices ${s.devices}`,
  ];
  if (s.skipped) parts.push(`skipped ${s.skipped} (broker behind)`);
  if (s.dropped) parts.push(`dropped ${s.dropped}`);
  if (s.errors) parts.push(`errors ${s.errors}`);
  if (s.incident) {
    const v = s.incident.value === null ? '' : ` ${s.incident.value.toFixed(1)} %LEL`;
    parts.push(`gas leak ${s.incident.device}: ${s.incident.stage}${v}`);
  }
  if (s.fire) parts.push(`fire ${s.fire}`);
  if (s.violation) parts.push(`shutdown violation ${s.violation}`);
  return parts.join(' | ');
}

export interface Progress {
  /** Prints a line of its own above the progress line. */
  note(text: string): void;
  /** Prints the last progress line and ends it. */
  end(): void;
}

/** Starts printing progress of `sim` to `out`. */
export function showProgress(sim: Simulator, out: NodeJS.WriteStream = process.stdout, quiet = false): Progress {
  const tty = Boolean(out.isTTY);
  let last = { sent: 0, offered: 0, at: Date.now() };
  const print = (): void => {
    const now = Date.now();
    const s = sim.stats(now);
    const per = 1000 / Math.max(1, now - last.at);
    const line = formatProgress(s, { offered: (s.offered - last.offered) * per, acked: (s.sent - last.sent) * per });
    last = { sent: s.sent, offered: s.offered, at: now };
    if (tty) out.write(`\r${line}\x1b[K`);
    else out.write(`${line}\n`);
  };
  const timer = quiet ? null : setInterval(print, tty ? TTY_REFRESH_MS : LOG_REFRESH_MS);
  return {
    note(text) {
      out.write(tty && !quiet ? `\r\x1b[K${text}\n` : `${text}\n`);
    },
    end() {
      if (!timer) return;
      clearInterval(timer);
      print();
      if (tty) out.write('\n');
    },
  };
}
