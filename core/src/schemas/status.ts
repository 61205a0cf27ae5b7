import { Type, type Static } from '@sinclair/typebox';
import { validator } from '../validate.js';

/** Retained `online` / `offline`; devices set `offline` as their last will. */
export const DeviceStatusPayload = Type.Union([Type.Literal('online'), Type.Literal('offline')]);
export type DeviceStatusPayload = Static<typeof DeviceStatusPayload>;
export const deviceStatusPayload = validator(DeviceStatusPayload);
