import pino, { type Logger } from 'pino';

const root: Logger = pino({ level: 'info', base: undefined });
const children: Logger[] = [];

/** Sets the level of the root and of every module logger, made before or after. */
export function setLogLevel(level: string): void {
  root.level = level;
  for (const child of children) child.level = level;
}

/** One namespaced logger per module. */
export function logger(name: string): Logger {
  const child = root.child({ mod: name });
  child.level = root.level;
  children.push(child);
  return child;
}

export type { Logger };
