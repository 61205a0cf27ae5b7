/**
 * Wires the page: the login first (session), then the dashboard for the
 * logged-in person — header, map, alert panel and detail, silences, dead
 * letters, audit log, socket, sound and language, each offered as the role allows.
 */
import 'maplibre-gl/dist/maplibre-gl.css';
import './styles.css';
import { can, LEVEL_COLORS, LEVELS, type Alert, type DevicePatch, type Level, type Me } from '@lifeline/core';
import { AlertDetailView } from './alert-detail.js';
import { AlertPanel } from './alert-panel.js';
import { AlertStore } from './alert-store.js';
import { alertTitle } from './alert-text.js';
import { api, ApiError, isUnauthorized } from './api.js';
import { showAuditLog } from './audit-log.js';
import { showHazards } from './hazard-register.js';
import { tr } from './i18n-register.js';
import { OPEN_HAZARD_EVENT } from './register-api.js';
import { showShifts } from './shift-panel.js';
import { showReports } from './reports-view.js';
import { ts } from './i18n-stats.js';
import { loadBoundaries } from './basemap.js';
import { showDeadLetters } from './dead-letters.js';
import { h, toast } from './dom.js';
import { getLang, levelLabel, onLangChange, setLang, statusLabel, t, translateStatic } from './i18n.js';
import { DeviceTable } from './device-table.js';
import { MapView, STATUS_COLORS } from './map-view.js';
import { askAcknowledge, askClose, askDispatch, askResolve } from './resolve-dialog.js';
import { onEveryBeat, onNextBeat } from './screen-beat.js';
import { onSessionLost, reportFailure, sessionLost, signIn } from './session.js';
import { settings } from './settings.js';
import { showSilences, SilenceBook } from './silences.js';
import { SocketManager, type ConnectionState } from './socket-manager.js';
import { AlarmSound } from './sound.js';
import { UserBox } from './user-box.js';

const RETRY_LOAD_MS = 5_000;
/** Resolved alerts fetched for the 待销号 tab. */
const RESOLVED_LIMIT = 2_000;
const DEAD_LETTER_POLL_MS = 30_000;
/** New red alerts within this long sound the alarm and show the toast once. */
const NEW_RED_COALESCE_MS = 250;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

async function main(): Promise<void> {
  settings.dropLegacyKeys();
  document.documentElement.lang = getLang() === 'zh' ? 'zh-CN' : 'en';
  translateStatic();
  // Nothing of the dashboard runs, or asks the server anything, before someone is logged in.
  await startDashboard(await signIn());
}

async function startDashboard(me: Me): Promise<void> {
  const may = (p: Parameters<typeof can>[1]) => can(me.role, p);
  // Open alerts drive the map, the sound and the counters; resolved ones wait for 销号 in their own tab.
  const store = new AlertStore();
  const resolvedStore = new AlertStore((state) => state === 'resolved');
  const detail = new AlertDetailView(may('notifications:read'));
  const tenantNames = new Map<string, string>();
  const tenantName = (id: string) => tenantNames.get(id);
  const silences = new SilenceBook(me.role, tenantName);
  const sound = new AlarmSound();
  const mapView = new MapView($('map'), await loadBoundaries(), silences);
  let deadLetterTotal: number | null = null;
  let connection: ConnectionState = 'connecting';
  let firstLoadDone = false;
  let devicePatchesDuringResync: DevicePatch[] | null = null;

  /** Every alert change goes to both stores (each keeps its states) and to an open detail view. */
  const applyAlert = (a: Alert) => {
    store.apply(a);
    resolvedStore.apply(a);
    detail.update(a);
  };
  const subject = (a: Alert) => `${levelLabel(a.level)} · ${alertTitle(a)}`;
  const attempt = async (change: () => Promise<Alert>) => {
    try {
      applyAlert(await change());
    } catch (err) {
      actionFailed(err);
    }
  };

  // The actor of every action is the logged-in person: the server takes it from the session.
  const panel = new AlertPanel(
    $('alert-panel'),
    { open: store, resolved: resolvedStore },
    {
      async acknowledge(a) {
        const b = await askAcknowledge(subject(a));
        if (b) await attempt(() => api.acknowledge(a.id, b));
      },
      async dispatch(a) {
        const d = await askDispatch(subject(a));
        if (d) await attempt(() => api.dispatch(a.id, d.unit, d.note));
      },
      async resolve(a) {
        const b = await askResolve(subject(a), a.judgement);
        if (b) await attempt(() => api.resolve(a.id, b));
      },
      async close(a) {
        const note = await askClose(subject(a));
        if (note !== null) await attempt(() => api.close(a.id, note || undefined));
      },
      details: (a) => detail.show(a),
      select: (a) => mapView.showDevice(a.device, a),
    },
    me.role,
  );

  // --- map tools: silences, dead letters and the audit log, as the role allows ---
  const silencesBtn = h('button', { type: 'button', class: 'btn map-tool', id: 'silences-open', 'data-testid': 'silences-open' });
  const deadLettersBtn = may('deadletters:read')
    ? h('button', { type: 'button', class: 'btn map-tool', id: 'dead-letters-open', 'data-testid': 'dead-letters-open' })
    : null;
  const auditBtn = may('audit:read') ? h('button', { type: 'button', class: 'btn map-tool', id: 'audit-open', 'data-testid': 'audit-open' }) : null;
  const hazardsBtn = may('hazards:read') ? h('button', { type: 'button', class: 'btn map-tool', id: 'hazards-open', 'data-testid': 'hazards-open' }) : null;
  const shiftsBtn = may('shifts:read') ? h('button', { type: 'button', class: 'btn map-tool', id: 'shifts-open', 'data-testid': 'shifts-open' }) : null;
  const statsBtn = may('alerts:read') ? h('button', { type: 'button', class: 'btn map-tool', id: 'stats-open', 'data-testid': 'stats-open' }) : null;
  const reportsBtn = may('reports:read') ? h('button', { type: 'button', class: 'btn map-tool', id: 'reports-open', 'data-testid': 'reports-open' }) : null;
  $('map-tools').replaceChildren(
    ...[silencesBtn, deadLettersBtn, auditBtn, hazardsBtn, shiftsBtn, statsBtn, reportsBtn].filter((b): b is HTMLButtonElement => b !== null),
  );
  const renderTools = () => {
    const n = silences.active().length;
    silencesBtn.replaceChildren(t('silences'), h('span', { class: `tool-n${n ? ' has' : ''}` }, String(n)));
    deadLettersBtn?.replaceChildren(
      t('deadLetters'),
      h('span', { class: `tool-n${deadLetterTotal ? ' warn' : ''}` }, deadLetterTotal === null ? '—' : String(deadLetterTotal)),
    );
    auditBtn?.replaceChildren(t('audit'));
    hazardsBtn?.replaceChildren(tr('hazards'));
    shiftsBtn?.replaceChildren(tr('shifts'));
    statsBtn?.replaceChildren(ts('stats'));
    reportsBtn?.replaceChildren(ts('reports'));
  };
  const setDeadLetterTotal = (n: number) => {
    deadLetterTotal = n;
    renderTools();
  };
  // The map keeps no names: the silences list asks for those of the devices it shows, once each.
  const deviceNames = new Map<string, Promise<string | undefined>>();
  const deviceName = (id: string) => {
    let name = deviceNames.get(id);
    if (!name) {
      name = api.device(id).then(
        (d) => d.name,
        () => {
          deviceNames.delete(id);
          return undefined;
        },
      );
      deviceNames.set(id, name);
    }
    return name;
  };
  silencesBtn.addEventListener('click', () => showSilences(silences, deviceName));
  deadLettersBtn?.addEventListener('click', () => showDeadLetters(setDeadLetterTotal));
  auditBtn?.addEventListener('click', () => showAuditLog());
  hazardsBtn?.addEventListener('click', () => showHazards(me));
  shiftsBtn?.addEventListener('click', () => showShifts(me));
  // ECharts comes with the statistics view, in a chunk of its own: the map does not wait for it.
  statsBtn?.addEventListener(
    'click',
    () => void Promise.all([api.meta(), import('./stats-view.js')]).then(([m, v]) => v.showStats(m.towns, m.tenants), reportFailure),
  );
  reportsBtn?.addEventListener('click', () => showReports(may('reports:generate')));
  // A 督办 message links to its hazard: `/?hazard=<id>`.
  const linkedHazard = new URLSearchParams(location.search).get('hazard');
  if (linkedHazard && hazardsBtn) showHazards(me, linkedHazard);
  document.addEventListener(OPEN_HAZARD_EVENT, (e) => {
    if (!hazardsBtn) return;
    detail.close();
    showHazards(me, String((e as CustomEvent<unknown>).detail));
  });
  silences.onChange(renderTools);
  // Only a role that may read dead letters asks for them: any other would earn a 403 every 30 s.
  const pollDeadLetters = async () => {
    if (!deadLettersBtn) return;
    await api.deadLetters(1).then(
      (dl) => setDeadLetterTotal(dl.total),
      (err: unknown) => console.warn('dead letters unavailable', err),
    );
  };
  if (deadLettersBtn) {
    void pollDeadLetters();
    setInterval(() => void pollDeadLetters(), DEAD_LETTER_POLL_MS);
  }
  silences.start();
  renderTools();

  function actionFailed(err: unknown): void {
    reportFailure(err);
    // 409: someone else got there first; show the current truth.
    if (err instanceof ApiError && (err.status === 409 || err.status === 404)) void resync();
  }

  // --- header -------------------------------------------------------------
  const userBox = new UserBox($('user-box'), me, tenantName);

  const soundBtn = $<HTMLButtonElement>('sound-toggle');
  const langBtn = $<HTMLButtonElement>('lang-toggle');
  const renderControls = () => {
    soundBtn.textContent = sound.isEnabled ? t('soundOn') : t('soundOff');
    soundBtn.setAttribute('aria-pressed', String(sound.isEnabled));
    soundBtn.classList.toggle('on', sound.isEnabled);
    langBtn.textContent = t('langToggle');
    const conn = $('conn');
    conn.dataset.state = connection;
    $('conn-text').textContent = connection === 'connected' ? t('connConnected') : connection === 'disconnected' ? t('connDisconnected') : t('connConnecting');
  };
  soundBtn.addEventListener('click', () => void sound.toggle());
  sound.onToggle(renderControls);
  langBtn.addEventListener('click', () => setLang(getLang() === 'zh' ? 'en' : 'zh'));

  // The counters are kept by the device table as patches arrive: nothing here walks the registry.
  const setText = (id: string, text: string) => {
    const el = $(id);
    if (el.textContent !== text) el.textContent = text;
  };
  const renderStats = () => {
    const c = mapView.devices.statusCounts;
    setText('stat-total', String(mapView.deviceCount));
    setText('stat-online', String(c.normal + c.alert));
    setText('stat-alert', String(c.alert));
    setText('stat-offline', String(c.offline));
  };

  const renderLegend = () => {
    const item = (color: string, label: string) => {
      // CSSOM, not a style attribute: the CSP blocks inline style attributes.
      const dot = h('i');
      dot.style.background = color;
      return h('div', { class: 'legend-item' }, dot, label);
    };
    $('legend').replaceChildren(
      ...LEVELS.map((l: Level) => item(LEVEL_COLORS[l], levelLabel(l))),
      item(STATUS_COLORS.normal, statusLabel('normal')),
      item(STATUS_COLORS.offline, statusLabel('offline')),
      item(STATUS_COLORS.unknown, statusLabel('unknown')),
    );
  };

  const tick = () => {
    const d = new Date();
    const p = (n: number) => String(n).padStart(2, '0');
    setText('clock', `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`);
  };
  tick();
  onEveryBeat(tick);

  // --- live state ---------------------------------------------------------
  const unackedRed = () => store.sorted().filter((a) => a.level === 'red' && a.state === 'raised');
  // Alerts come one event each, hundreds a second in a mass event: their effects on the map and
  // the header are drawn on the screen's beat, and new red ones sound and toast once per
  // NEW_RED_COALESCE_MS (a timer, not a frame: the alarm must sound in a tab nobody looks at).
  let newRedTimer = 0;
  const alertEffects = () => {
    mapView.setRings(unackedRed());
    renderStats();
  };
  const newRedAlarm = () => {
    newRedTimer = 0;
    sound.alarm(() => unackedRed().length > 0);
    toast(t('newRed'), 'info');
  };
  const isUnackedRed = (a: Alert | undefined) => a !== undefined && a.level === 'red' && a.state === 'raised';
  store.onChange((changes) => {
    // A ring goes the moment its alert is acknowledged (a person's action, so rare), in step with the row.
    for (const { alert, previous } of changes)
      if (isUnackedRed(previous) && !(isUnackedRed(alert) && store.get(alert.id)) && !store.sorted().some((a) => a.device === alert.device && isUnackedRed(a)))
        mapView.dropRing(alert.device);
    const newRed = changes.some(
      ({ alert, previous, fromSnapshot }) =>
        alert.level === 'red' && alert.state === 'raised' && previous?.level !== 'red' && (!fromSnapshot || (firstLoadDone && !previous)),
    );
    if (newRed && !newRedTimer) newRedTimer = window.setTimeout(newRedAlarm, NEW_RED_COALESCE_MS);
    onNextBeat(alertEffects);
  });

  // One resync at a time; a request for another while one runs is folded into one more run.
  let resyncRunning: Promise<void> | null = null;
  let resyncAgain = false;
  function resync(): Promise<void> {
    if (resyncRunning) {
      resyncAgain = true;
      return resyncRunning;
    }
    resyncRunning = (async () => {
      do {
        resyncAgain = false;
        await resyncOnce();
      } while (resyncAgain);
    })().finally(() => (resyncRunning = null));
    return resyncRunning;
  }

  async function resyncOnce(): Promise<void> {
    store.beginResync();
    resolvedStore.beginResync();
    devicePatchesDuringResync = [];
    try {
      const [devices, alerts, resolved] = await Promise.all([
        api.devices(),
        api.alerts({ state: 'open' }),
        api.alerts({ state: 'resolved', limit: RESOLVED_LIMIT }),
      ]);
      mapView.setDevices(new DeviceTable(devices));
      const replay = devicePatchesDuringResync ?? [];
      devicePatchesDuringResync = null;
      if (replay.length) mapView.patchDevices(replay);
      store.finishResync(alerts);
      resolvedStore.finishResync(resolved);
      firstLoadDone = true;
      renderStats();
    } catch (err) {
      store.cancelResync();
      resolvedStore.cancelResync();
      devicePatchesDuringResync = null;
      // Session gone: the login page is back, and resume() resyncs after it.
      if (isUnauthorized(err)) return;
      toast(t('loadFailed', { msg: (err as Error).message }));
      setTimeout(() => void resync(), RETRY_LOAD_MS);
    }
  }

  const socket = new SocketManager({
    onAlert: applyAlert,
    onDevicePatches: (patches) => {
      devicePatchesDuringResync?.push(...patches);
      mapView.patchDevices(patches);
      renderStats();
    },
    onConnection: (state) => {
      connection = state;
      renderControls();
    },
    onResync: () => void resync(),
    onUnauthorized: () => sessionLost(),
  });
  socket.start();
  onSessionLost({
    // The dashboard stays (hidden) for the same person to come back to; the sound is left alone, so
    // that an unacknowledged red alert still calls someone to the screen to log in.
    suspend: () => socket.pause(),
    resume: () => {
      const hadConnected = socket.connectedBefore;
      socket.resume();
      // A socket that connects again resyncs by itself; one that never did needs the first load.
      if (!hadConnected) void resync();
      void silences.refresh();
      void pollDeadLetters();
    },
  });

  api
    .meta()
    .then((meta) => {
      $('district-name').textContent = meta.district.name;
      panel.setTowns(meta.towns);
      for (const tn of meta.tenants) tenantNames.set(tn.id, tn.name);
      userBox.render();
    })
    .catch((err: unknown) => console.warn('meta unavailable', err));
  await resync();

  onLangChange(() => {
    translateStatic();
    renderControls();
    renderLegend();
    panel.refreshLanguage();
    mapView.refreshLanguage();
    detail.refreshLanguage();
    renderTools();
    userBox.render();
  });
  renderControls();
  renderLegend();

  // Read-only hook for browser tests and for support staff in the console.
  Object.defineProperty(window, '__lifeline', {
    value: Object.freeze({
      map: mapView.map,
      deviceCount: () => mapView.deviceCount,
      renderedDeviceCount: () => mapView.renderedDeviceCount(),
      alerts: () => [...store.sorted()],
      resolvedAlerts: () => [...resolvedStore.sorted()],
      connection: () => connection,
      ready: () => mapView.whenReady(),
      me: () => ({ ...me }),
    }),
    writable: false,
    configurable: false,
  });
}

main().catch((err: unknown) => {
  console.error(err);
  toast(t('loadFailed', { msg: (err as Error).message }));
});
