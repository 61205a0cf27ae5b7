/** What an alert says happened, in the operator's language. */
import { KINDS, type Alert } from '@lifeline/core';
import { eventLabel, formatValue, metricLabel, t } from './i18n.js';

export function describeAlert(a: Alert): string {
  if (a.ruleType === 'offline') return t('offlineWhat');
  if (a.ruleType === 'event') return a.event ? eventLabel(a.event) : a.rule;
  const metric = a.metric ?? KINDS[a.kind]?.thresholds[a.rule]?.metric;
  if (!metric) return a.rule;
  const { label, unit } = metricLabel(a.kind, metric);
  const spec = KINDS[a.kind]?.thresholds[a.rule] ?? Object.values(KINDS[a.kind]?.thresholds ?? {}).find((s) => s.metric === metric);
  const params = {
    metric: label,
    value: a.value === undefined ? '—' : formatValue(a.value),
    unit,
    threshold: a.threshold === undefined ? '—' : formatValue(a.threshold),
  };
  let text = t(spec?.direction === 'below' ? 'crossedBelow' : 'crossedAbove', params);
  if (a.peak !== undefined && a.value !== undefined && a.peak !== a.value) text += ` · ${t('peak', { peak: formatValue(a.peak), unit })}`;
  return text;
}
