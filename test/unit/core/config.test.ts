import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS, ConfigError, loadConfig } from '@lifeline/core/node';

describe('config', () => {
  it('has a default for every key and runs the embedded broker without MQTT_URL', () => {
    const c = loadConfig({});
    expect(c.port).toBe(8080);
    expect(c.mqttUrl).toBeNull();
    expect(c.influxDb).toBe('lifeline');
    for (const spec of Object.values(CONFIG_KEYS)) expect(spec.doc.length).toBeGreaterThan(5);
  });

  it('reads each setting from its environment variable', () => {
    const c = loadConfig({ PORT: '9000', MQTT_URL: 'mqtt://broker:1883', INFLUX_DB: 'x', WRITE_BATCH_SIZE: '100' });
    expect(c).toMatchObject({ port: 9000, mqttUrl: 'mqtt://broker:1883', influxDb: 'x', writeBatchSize: 100 });
  });

  it('fails fast with a message that names the variable', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ INFLUX_URL: 'ftp://x' })).toThrow(/INFLUX_URL/);
    expect(() => loadConfig({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/);
  });
});

describe('secrets outside the demo', () => {
  it('refuses the change-me placeholder in any secret unless LIFELINE_DEMO=1, naming the variable', () => {
    expect(() => loadConfig({ MQTT_PASSWORD: 'change-me' })).toThrow(/MQTT_PASSWORD.*change-me/);
    expect(() => loadConfig({ DATABASE_URL: 'postgres://lifeline:change-me@db:5432/lifeline' })).toThrow(/DATABASE_URL/);
    expect(() => loadConfig({ INFLUX_PASSWORD: 'CHANGE-ME-too' })).toThrow(/INFLUX_PASSWORD/);
    expect(loadConfig({ MQTT_PASSWORD: 'change-me', LIFELINE_DEMO: '1' }).mqttPassword).toBe('change-me');
    expect(loadConfig({ MQTT_PASSWORD: 'a-real-secret-4f9c' }).mqttPassword).toBe('a-real-secret-4f9c');
  });

  it('binds the embedded broker to 127.0.0.1 and takes DATABASE_URL only as a postgres URL', () => {
    expect(loadConfig({}).mqttHost).toBe('127.0.0.1');
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x@y/z' })).toThrow(/DATABASE_URL must use postgres:/);
  });
});
