import { Router } from 'express';
import { generateReportBody, reportListQuery } from '@lifeline/core';
import type { AuditTrail } from '../auth/audit-trail.js';
import { mustAuth, requirePermission } from '../auth/http-auth.js';
import { reportLinks } from '../notify/report-formats.js';
import { parseDay, periodOf } from '../reports/periods.js';
import { PRINT_CSS, PRINT_JS, reportPrintHtml } from '../reports/report-print.js';
import type { ReportService } from '../reports/report-service.js';
import type { ReportStore } from '../store/reports.js';
import { HttpError, numericQuery, param, validated } from './http-errors.js';

export interface ReportRouteDeps {
  store: ReportStore;
  service: ReportService;
  audit: AuditTrail;
  timeZone: string;
}

const REPORT_ID = /^r-[a-z0-9]+-[0-9a-f]{8}$/;

/** 报表: the list, each report's workbook and print view, and making one on request. City-wide: no enterprise reads them. */
export function reportRouter(d: ReportRouteDeps): Router {
  const r = Router();
  const read = requirePermission('reports:read');
  const idOf = (raw: string) => {
    if (!REPORT_ID.test(raw)) throw new HttpError(404, `no report with id ${raw}`);
    return raw;
  };

  r.get('/reports', read, async (req, res) => {
    const q = validated(reportListQuery, numericQuery(req.query, ['limit']), 'report list query');
    res.json(await d.store.list(q));
  });

  r.get('/reports/print.css', read, (_req, res) => {
    res.type('text/css').send(PRINT_CSS);
  });
  r.get('/reports/print.js', read, (_req, res) => {
    res.type('text/javascript').send(PRINT_JS);
  });

  r.get('/reports/:id/xlsx', read, async (req, res) => {
    const id = idOf(param(req, 'id'));
    const w = await d.store.workbook(id);
    if (!w) throw new HttpError(404, `no report with id ${id}`);
    const name = `${w.entry.title}.xlsx`;
    res.setHeader('content-type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    res.setHeader(
      'content-disposition',
      `attachment; filename="report-${w.entry.kind}-${w.entry.periodLabel}.xlsx"; filename*=UTF-8''${encodeURIComponent(name)}`,
    );
    res.send(w.bytes);
  });

  r.get('/reports/:id/print', read, async (req, res) => {
    const id = idOf(param(req, 'id'));
    const got = await d.store.get(id);
    if (!got) throw new HttpError(404, `no report with id ${id}`);
    const xlsx = reportLinks('', id).xlsx;
    res.type('html').send(reportPrintHtml(got.content, { css: '/api/reports/print.css', js: '/api/reports/print.js', xlsx }));
  });

  r.get('/reports/:id', read, async (req, res) => {
    const id = idOf(param(req, 'id'));
    const got = await d.store.get(id);
    if (!got) throw new HttpError(404, `no report with id ${id}`);
    res.json({ ...got.entry, content: got.content });
  });

  r.post('/reports', requirePermission('reports:generate'), async (req, res) => {
    const a = mustAuth(req);
    const b = validated(generateReportBody, req.body, 'report request');
    let period;
    try {
      period = periodOf(b.kind, parseDay(b.day), d.timeZone);
    } catch (err) {
      throw new HttpError(400, 'invalid report request', [`/day: ${(err as Error).message}`]);
    }
    const { entry } = await d.service.make(period, a.user.username, b.notify ?? false);
    await d.audit.record(req, a, { action: 'report.generate', target: entry.id, after: { kind: entry.kind, period: entry.periodLabel } });
    res.status(201).json(entry);
  });
  return r;
}
