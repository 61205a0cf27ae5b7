import { describe, expect, it } from 'vitest';
import ExcelJS from 'exceljs';
import type { Hazard } from '@lifeline/core';
import { hazardsCsv, hazardsXlsx } from '../../../server/src/hazards/hazard-export.js';
import { renderHazardMessage } from '../../../server/src/notify/hazard-formats.js';

const NOW = Date.UTC(2026, 11, 2, 4, 0);
const hazard = (over: Partial<Hazard> = {}): Hazard => ({
  id: 'hz-1',
  source: 'inspection',
  sourceRef: 'JC-1',
  tenant: 'ent-01',
  department: null,
  unitName: '清远市清新区宏达化工有限公司',
  town: '太和镇',
  industry: '危化品',
  device: null,
  level: 'major',
  state: 'rectifying',
  description: '消防通道堵塞',
  deadline: NOW - 3600_000,
  createdAt: NOW - 86_400_000,
  createdBy: 'duty',
  updatedAt: NOW,
  reportedAt: null,
  signedOffAt: null,
  signedOffBy: null,
  escalations: 1,
  escalatedAt: NOW,
  ...over,
});

describe('the hazard register export', () => {
  it('writes CSV with a BOM and CRLF lines, quotes what needs it, and defuses spreadsheet formulas', () => {
    const csv = hazardsCsv([hazard(), hazard({ id: 'hz-2', description: '=HYPERLINK("http://x")', unitName: 'A, "B"', state: 'signed_off' })], NOW);
    expect(csv.startsWith('\uFEFF编号,级别,状态,超期,责任单位,')).toBe(true);
    const lines = csv.slice(1).split('\r\n');
    expect(lines).toHaveLength(4);
    expect(lines[1]).toContain('hz-1,重大隐患,整改中,是,清远市清新区宏达化工有限公司,太和镇,危化品,检查发现,JC-1,消防通道堵塞,2026/12/02 11:00');
    // Signed off is never overdue; a field with a comma or quote is quoted; a leading = is not a formula.
    expect(lines[2]).toContain(',已销号,否,"A, ""B""",');
    expect(lines[2]).toContain(`"'=HYPERLINK(""http://x"")"`);
    expect(lines[3]).toBe('');
  });

  it('writes a workbook whose sheet reads back the same rows', async () => {
    const wb = new ExcelJS.Workbook();
    const bytes = await hazardsXlsx([hazard(), hazard({ id: 'hz-2', level: 'general' })], NOW);
    // Its own copy as an ArrayBuffer: what exceljs's types take.
    await wb.xlsx.load(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
    const ws = wb.getWorksheet('隐患清单')!;
    expect(ws.rowCount).toBe(3);
    expect(ws.getRow(1).getCell(5).value).toBe('责任单位');
    expect([ws.getRow(2).getCell(1).value, ws.getRow(3).getCell(2).value]).toEqual(['hz-1', '一般隐患']);
  });
});

describe('the 督办 message of an overdue hazard', () => {
  it('names the unit, the level and the deadline, links the hazard, and escapes markdown in what people typed', () => {
    const h = hazard({ description: '[点我](http://evil)\n# 标题' });
    const hook = renderHazardMessage('webhook', h, 'https://lifeline.example/') as { type: string; title: string; url: string; text: string };
    expect(hook.type).toBe('lifeline.hazard');
    expect(hook.title).toBe('【隐患督办预警】重大隐患 太和镇 清远市清新区宏达化工有限公司');
    expect(hook.url).toBe('https://lifeline.example/?hazard=hz-1');
    expect(hook.text).toContain('整改期限：2026/12/02 11:00');
    const wecom = renderHazardMessage('wecom', h, 'https://lifeline.example') as { markdown: { content: string } };
    expect(wecom.markdown.content).toContain('\\[点我\\]\\(http://evil\\) \\# 标题');
    expect(wecom.markdown.content).not.toContain('\n# ');
  });
});
