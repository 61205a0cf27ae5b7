/** What an alert says happened, in the operator's language. */
import { thresholdText, type Alert } from '@lifeline/core';
import { eventLabel, formatValue, getLang, metricLabel, ruleTypeLabel, t } from './i18n.js';

/** The headline of a row: the site for site-level (correlation) alerts, else the device. */
export function alertTitle(a: Alert): string {
  return a.site ?? a.name;
}

export function describeAlert(a: Alert): string {
  if (a.ruleType === 'offline') return t('offlineWhat');
  if (a.ruleType === 'event') return a.event ? eventLabel(a.event) : a.rule;
  const metric = a.metric;
  if (a.ruleType !== 'threshold') {
    // Rules without a single boundary (rate, flatline, baseline, power, correlation) say what they are; `detail` says the rest.
    const label = ruleTypeLabel(a.ruleType) ?? a.rule;
    if (!metric || a.value === undefined) return label;
    const m = metricLabel(a.kind, metric);
    return `${label} · ${m.label} ${formatValue(a.value)}${m.unit}`;
  }
  if (!metric) return a.rule;
  // The bound and its direction are the running rule's, carried by the alert (registry overrides included).
  const { label, unit } = metricLabel(a.kind, metric);
  return thresholdText(a, getLang(), { metric: label, unit, num: formatValue });
}

/**
 * The rule's own explanation, when it adds something to the headline: a
 * threshold alert's headline already says the value and the boundary.
 */
export function alertDetail(a: Alert, what = describeAlert(a)): string | null {
  const d = a.detail?.trim();
  if (!d || d === what) return null;
  if (a.ruleType === 'threshold' && a.value !== undefined && a.threshold !== undefined) return null;
  return d;
}
