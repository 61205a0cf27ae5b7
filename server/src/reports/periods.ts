import type { ReportKind } from '@lifeline/core';

/** A report's period [start, end) in epoch ms, with its label in the report's time zone. */
export interface ReportPeriod {
  kind: ReportKind;
  start: number;
  end: number;
  /** 2026-12-01 (daily), 2026-W49 (weekly, ISO week), 2026-12 (monthly). */
  label: string;
  timeZone: string;
}

const DAY = 86_400_000;
const DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The zone's offset from UTC at `at` (ms; +8 h for Asia/Shanghai), from Intl, so any IANA zone works. */
export function zoneOffsetMs(timeZone: string, at: number): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(at));
  const n = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(n('year'), n('month') - 1, n('day'), n('hour'), n('minute'), n('second'));
  return asUtc - Math.floor(at / 1000) * 1000;
}

/** The civil date (y, m 1–12, d) of `at` in the zone. */
export function civilDate(timeZone: string, at: number): { y: number; m: number; d: number } {
  const local = new Date(at + zoneOffsetMs(timeZone, at));
  return { y: local.getUTCFullYear(), m: local.getUTCMonth() + 1, d: local.getUTCDate() };
}

/** Epoch ms of local midnight starting the civil date (y, m, d) in the zone. */
export function localMidnight(timeZone: string, y: number, m: number, d: number): number {
  const guess = Date.UTC(y, m - 1, d);
  // Twice: the offset at the guess may differ from the offset at the answer across a DST change.
  const first = guess - zoneOffsetMs(timeZone, guess);
  return guess - zoneOffsetMs(timeZone, first);
}

const pad = (n: number) => String(n).padStart(2, '0');
export const dayLabel = (c: { y: number; m: number; d: number }) => `${c.y}-${pad(c.m)}-${pad(c.d)}`;

/** Parses `YYYY-MM-DD`; throws on anything else or an impossible date. */
export function parseDay(day: string): { y: number; m: number; d: number } {
  const m = DAY_RE.exec(day);
  if (!m) throw new RangeError(`"${day}" is not a date (YYYY-MM-DD)`);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const check = new Date(Date.UTC(y, mo - 1, d));
  if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) throw new RangeError(`"${day}" is not a date`);
  return { y, m: mo, d };
}

/** ISO 8601 week of a civil date: its year and number (weeks start on Monday). */
function isoWeek(c: { y: number; m: number; d: number }): { year: number; week: number; monday: { y: number; m: number; d: number } } {
  const date = new Date(Date.UTC(c.y, c.m - 1, c.d));
  const dow = (date.getUTCDay() + 6) % 7; // Monday 0
  const monday = new Date(date.getTime() - dow * DAY);
  const thursday = new Date(monday.getTime() + 3 * DAY);
  const year = thursday.getUTCFullYear();
  const week = 1 + Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * DAY));
  return { year, week, monday: { y: monday.getUTCFullYear(), m: monday.getUTCMonth() + 1, d: monday.getUTCDate() } };
}

const shift = (c: { y: number; m: number; d: number }, days: number) => {
  const t = new Date(Date.UTC(c.y, c.m - 1, c.d) + days * DAY);
  return { y: t.getUTCFullYear(), m: t.getUTCMonth() + 1, d: t.getUTCDate() };
};

/** The period of `kind` containing the civil date `day` in the zone. */
export function periodOf(kind: ReportKind, day: { y: number; m: number; d: number }, timeZone: string): ReportPeriod {
  if (kind === 'daily') {
    const next = shift(day, 1);
    return { kind, start: localMidnight(timeZone, day.y, day.m, day.d), end: localMidnight(timeZone, next.y, next.m, next.d), label: dayLabel(day), timeZone };
  }
  if (kind === 'weekly') {
    const w = isoWeek(day);
    const next = shift(w.monday, 7);
    return {
      kind,
      start: localMidnight(timeZone, w.monday.y, w.monday.m, w.monday.d),
      end: localMidnight(timeZone, next.y, next.m, next.d),
      label: `${w.year}-W${pad(w.week)}`,
      timeZone,
    };
  }
  const ny = day.m === 12 ? day.y + 1 : day.y;
  const nm = day.m === 12 ? 1 : day.m + 1;
  return { kind, start: localMidnight(timeZone, day.y, day.m, 1), end: localMidnight(timeZone, ny, nm, 1), label: `${day.y}-${pad(day.m)}`, timeZone };
}

/**
 * The reports due by `now`: at `hour` local time each day, the previous day's;
 * on Mondays also the previous week's, on the 1st the previous month's. Before
 * the hour, the day before's (so a start-up catches up on the latest of each).
 */
export function duePeriods(now: number, hour: number, timeZone: string): ReportPeriod[] {
  const today = civilDate(timeZone, now);
  const hourAt = localMidnight(timeZone, today.y, today.m, today.d) + hour * 3_600_000;
  // The latest day whose report time has come.
  const reportDay = now >= hourAt ? today : shift(today, -1);
  const yesterday = shift(reportDay, -1);
  const lastWeek = shift(isoWeek(reportDay).monday, -7);
  const lastMonth = reportDay.m === 1 ? { y: reportDay.y - 1, m: 12, d: 1 } : { y: reportDay.y, m: reportDay.m - 1, d: 1 };
  return [periodOf('daily', yesterday, timeZone), periodOf('weekly', lastWeek, timeZone), periodOf('monthly', lastMonth, timeZone)];
}
