/**
 * The four national warning levels (突发事件应对法), most severe first.
 * Every other module orders and labels levels through this file.
 */
export const LEVELS = ['red', 'orange', 'yellow', 'blue'] as const;
export type Level = (typeof LEVELS)[number];

const RANK: Record<Level, number> = { red: 4, orange: 3, yellow: 2, blue: 1 };

/** Higher is more severe: red 4 … blue 1; 0 for "no level". */
export function levelRank(level: Level | null | undefined): number {
  return level ? RANK[level] : 0;
}

export function moreSevere(a: Level, b: Level): Level {
  return levelRank(a) >= levelRank(b) ? a : b;
}

export const LEVEL_LABELS: Record<Level, { zh: string; en: string; grade: string }> = {
  red: { zh: '红色预警', en: 'Red', grade: '一级' },
  orange: { zh: '橙色预警', en: 'Orange', grade: '二级' },
  yellow: { zh: '黄色预警', en: 'Yellow', grade: '三级' },
  blue: { zh: '蓝色预警', en: 'Blue', grade: '四级' },
};

export const LEVEL_COLORS: Record<Level, string> = {
  red: '#e02020',
  orange: '#f5821f',
  yellow: '#f2c200',
  blue: '#1f6fe5',
};
