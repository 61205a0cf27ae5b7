import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Alert } from '@lifeline/core';
import { Outbox, SilenceStore, renderMessage, type OutboxItem } from '../../../server/src/index.js';

const T0 = 1_795_000_000_000;
const alert: Alert = {
  id: 'mabc-123456',
  device: 'gas-1',
  tenant: 'qx-gas',
  kind: 'gas',
  name: '某酒家 厨房燃气探测器',
  town: '太和镇',
  lon: 113,
  lat: 23.7,
  rule: 'ch4_high',
  ruleType: 'threshold',
  level: 'red',
  state: 'raised',
  metric: 'ch4',
  value: 62.5,
  threshold: 50,
  count: 3,
  raisedAt: T0,
  updatedAt: T0,
  clearedAt: null,
  escalations: 1,
};
const URL_ = 'https://lifeline.example.gov.cn';

describe('notification formats', () => {
  it('shows registry and operator text literally in robot markdown: no link, heading or new line slips in', () => {
    const forged = {
      ...alert,
      name: '餐馆](http://evil.example) \n### 假消息',
      state: 'dispatched' as const,
      dispatchedTo: '<font color="info">燃气</font>',
      escalations: 1,
    };
    const wecom = (renderMessage('wecom', forged, 'escalated', URL_) as { markdown: { content: string } }).markdown.content;
    expect(wecom).toContain('餐馆\\]\\(http://evil.example\\)');
    expect(wecom).toContain('\\#\\#\\# 假消息');
    expect(wecom).not.toContain('<font color="info">');
    expect(wecom.split('\n').filter((l) => l.startsWith('###'))).toHaveLength(1);
    const hook = renderMessage('webhook', forged, 'escalated', URL_) as { title: string };
    expect(hook.title).toContain('餐馆](http://evil.example)');
  });

  it('sends WeCom a markdown message with level, place, value with unit and threshold, and the map link', () => {
    const m = renderMessage('wecom', alert, 'raised', URL_) as { msgtype: string; markdown: { content: string } };
    expect(m.msgtype).toBe('markdown');
    expect(Object.keys(m.markdown)).toEqual(['content']);
    const c = m.markdown.content;
    expect(c).toContain('红色预警');
    expect(c).toContain('一级');
    expect(c).toContain('太和镇');
    expect(c).toContain('某酒家 厨房燃气探测器');
    expect(c).toContain('62.5 %LEL');
    expect(c).toContain('阈值 50 %LEL');
    expect(c).toContain(`(${URL_}/?alert=mabc-123456)`);
    expect(Buffer.byteLength(c)).toBeLessThanOrEqual(4096);
  });

  it('sends DingTalk a markdown message with a title and text', () => {
    const m = renderMessage('dingtalk', alert, 'raised', URL_) as { msgtype: string; markdown: { title: string; text: string } };
    expect(m.msgtype).toBe('markdown');
    expect(m.markdown.title).toContain('红色预警');
    expect(m.markdown.text).toContain('62.5 %LEL');
    expect(m.markdown.text).toContain(`${URL_}/?alert=mabc-123456`);
  });

  it('sends the generic webhook the whole alert with the same facts', () => {
    const m = renderMessage('webhook', alert, 'raised', URL_) as Record<string, unknown>;
    expect(m).toMatchObject({ type: 'lifeline.alert', reason: 'raised', escalated: false, level: 'red', url: `${URL_}/?alert=mabc-123456`, alert });
    expect(m.levelLabel).toBe('红色预警（一级）');
  });

  it('marks an escalation as going to the supervisor (带班领导)', () => {
    const w = renderMessage('wecom', alert, 'escalated', URL_) as { markdown: { content: string } };
    expect(w.markdown.content).toContain('升级督办');
    expect(w.markdown.content).toContain('带班领导');
    const d = renderMessage('dingtalk', { ...alert, state: 'dispatched', dispatchedTo: '燃气公司' }, 'escalated', URL_) as { markdown: { text: string } };
    expect(d.markdown.text).toContain('已派单至燃气公司');
    expect((renderMessage('webhook', alert, 'escalated', URL_) as { escalated: boolean }).escalated).toBe(true);
  });

  it('names an event instead of a value', () => {
    const fire: Alert = {
      ...alert,
      kind: 'fire_panel',
      rule: 'event:fire',
      ruleType: 'event',
      event: 'fire',
      metric: undefined,
      value: undefined,
      threshold: undefined,
    };
    expect((renderMessage('wecom', fire, 'raised', URL_) as { markdown: { content: string } }).markdown.content).toContain('火警');
  });
});

describe('the outbox file', () => {
  const dirs: string[] = [];
  const tmp = () => {
    const d = mkdtempSync(path.join(os.tmpdir(), 'lifeline-outbox-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const item = (id: string, createdAt = T0): OutboxItem => ({
    id,
    alertId: 'a',
    channel: 'wecom',
    reason: 'raised',
    level: 'red',
    createdAt,
    status: 'pending',
    attempts: 0,
    nextAt: createdAt,
    url: 'http://127.0.0.1:1/robot',
    body: { msgtype: 'markdown' },
  });

  it('keeps a pending message across a crash (no close) and skips a line torn mid-write', () => {
    const file = path.join(tmp(), 'outbox.jsonl');
    const a = new Outbox(file);
    a.add([item('n1'), item('n2')]);
    a.set('n1', { status: 'delivered', attempts: 1, doneAt: T0 + 5 });
    a.set('n2', { attempts: 1, nextAt: T0 + 2000, lastError: 'HTTP 503' });
    appendFileSync(file, '{"op":"add","item":{"id":"n3"'); // the crash
    const b = new Outbox(file);
    expect(b.pending().map((i) => [i.id, i.attempts, i.lastError])).toEqual([['n2', 1, 'HTTP 503']]);
    expect(b.list().find((i) => i.id === 'n1')).toMatchObject({ status: 'delivered' });
    // compacted at start: one line per message, the torn line gone
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(2);
    b.close();
  });

  it('skips lines that are JSON but not outbox records, and keeps every valid one', () => {
    const file = path.join(tmp(), 'outbox.jsonl');
    const { url: _url, ...noUrl } = item('n2');
    const lines = [
      { op: 'add', item: item('n1') },
      { op: 'add', item: noUrl },
      { op: 'add', item: { ...item('n3'), channel: 'fax' } },
      { op: 'set', id: 'n1', patch: { attempts: -1 } },
      { op: 'set', id: 'n1', patch: { attempts: 2, lastError: 'HTTP 503' } },
      { op: 'drop', id: 'n1' },
    ];
    writeFileSync(file, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
    const box = new Outbox(file);
    expect(box.pending().map((i) => [i.id, i.attempts, i.lastError])).toEqual([['n1', 2, 'HTTP 503']]);
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(1);
    box.close();
  });
});

describe('silences file', () => {
  it('persists silences and matches by device, site or tenant inside their time window', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lifeline-silences-'));
    try {
      const file = path.join(dir, 'silences.json');
      const s = new SilenceStore(file, () => T0);
      const dev = s.add({ device: 'gas-1', from: T0, to: T0 + 3600_000, reason: '检修' }, '张三');
      s.add({ tenant: 'qx-water', from: T0 + 3600_000, to: T0 + 7200_000, reason: '管网改造' }, '李四');
      const again = new SilenceStore(file, () => T0);
      expect(again.list()).toHaveLength(2);
      expect(again.match({ device: 'gas-1', tenant: 'x' }, T0 + 10)?.id).toBe(dev.id);
      expect(again.match({ device: 'gas-1', tenant: 'x' }, T0 + 3600_000)).toBeUndefined();
      expect(again.match({ device: 'w-1', tenant: 'qx-water' }, T0 + 3600_001)).toBeDefined();
      expect(again.list().find((x) => x.id === dev.id)?.actor).toBe('张三');
      // Ended, not deleted: kept with who ended it, matching nothing from then on.
      expect(again.end(dev.id, '王五')).toMatchObject({ endedBy: '王五', endedAt: T0, to: T0 });
      const reread = new SilenceStore(file, () => T0);
      expect(reread.list()).toHaveLength(2);
      expect(reread.match({ device: 'gas-1', tenant: 'x' }, T0 + 10)).toBeUndefined();
      expect(reread.end('s-none', '王五')).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('starts with no silences from a file that is not valid, and keeps that file for an operator', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lifeline-silences-'));
    try {
      const file = path.join(dir, 'silences.json');
      writeFileSync(file, JSON.stringify([{ device: 'gas-1', from: 'today' }]));
      const s = new SilenceStore(file, () => T0);
      expect(s.list()).toEqual([]);
      s.add({ device: 'gas-1', from: T0, to: T0 + 60_000, reason: '检修' }, '张三');
      const kept = readdirSync(dir).filter((f) => f.startsWith('silences.json.invalid-'));
      expect(kept).toHaveLength(1);
      expect(readFileSync(path.join(dir, kept[0]!), 'utf8')).toContain('"today"');
      expect(new SilenceStore(file, () => T0).list()).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
