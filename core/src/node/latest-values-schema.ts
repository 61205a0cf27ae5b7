/**
 * One device in the latest-values snapshot (`latest.snapshot` in the data dir,
 * see snapshot-file.ts): `[id, at, values]` — when it was last heard and the
 * latest value of each metric it reports.
 */
import { Type, type Static } from '@sinclair/typebox';
import { validator } from '../validate.js';

export const LatestValuesItem = Type.Tuple([Type.String({ minLength: 1 }), Type.Number(), Type.Record(Type.String(), Type.Number())]);
export type LatestValuesItem = Static<typeof LatestValuesItem>;
export const latestValuesItem = validator(LatestValuesItem);
