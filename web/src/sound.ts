/**
 * Red-alert alarm drawn with WebAudio (no audio file to host). Browsers only let
 * a page make sound after a user gesture, so the operator turns it on once with
 * the 启用声音 toggle; while a red alert stays unacknowledged the pattern repeats.
 */
import { settings } from './settings.js';

const TONES_HZ = [988, 740, 988, 740, 988, 740];
const TONE_S = 0.18;
const GAP_S = 0.06;
const VOLUME = 0.25;
export const RED_REPEAT_MS = 30_000;

export class AlarmSound {
  private ctx: AudioContext | null = null;
  private repeatTimer = 0;
  private enabled = false;
  private listeners = new Set<(enabled: boolean) => void>();

  /** Restores the preference; the context itself waits for a gesture. */
  constructor() {
    this.enabled = settings.sound;
    if (this.enabled) {
      // The stored choice counts once the operator touches the page at all.
      const unlock = () => {
        void this.ensureContext();
        window.removeEventListener('pointerdown', unlock);
        window.removeEventListener('keydown', unlock);
      };
      window.addEventListener('pointerdown', unlock);
      window.addEventListener('keydown', unlock);
    }
  }

  get isEnabled(): boolean {
    return this.enabled;
  }

  onToggle(listener: (enabled: boolean) => void): void {
    this.listeners.add(listener);
  }

  /** Call from a click handler: that click is the gesture that unlocks audio. */
  async toggle(): Promise<void> {
    this.enabled = !this.enabled;
    settings.sound = this.enabled;
    if (this.enabled) {
      await this.ensureContext();
      this.beep(2);
    } else {
      this.stopRepeat();
    }
    for (const l of this.listeners) l(this.enabled);
  }

  /** Plays the pattern now and keeps repeating while `stillNeeded()` holds. */
  alarm(stillNeeded: () => boolean): void {
    if (!this.enabled) return;
    this.beep(TONES_HZ.length);
    this.stopRepeat();
    this.repeatTimer = window.setInterval(() => {
      if (!this.enabled || !stillNeeded()) this.stopRepeat();
      else this.beep(TONES_HZ.length);
    }, RED_REPEAT_MS);
  }

  private stopRepeat(): void {
    if (this.repeatTimer) clearInterval(this.repeatTimer);
    this.repeatTimer = 0;
  }

  private async ensureContext(): Promise<AudioContext | null> {
    try {
      this.ctx ??= new AudioContext();
      if (this.ctx.state === 'suspended') await this.ctx.resume();
      return this.ctx;
    } catch (err) {
      console.warn('audio unavailable', err);
      return null;
    }
  }

  private beep(tones: number): void {
    const ctx = this.ctx;
    if (!ctx || ctx.state !== 'running') return;
    let t = ctx.currentTime + 0.02;
    for (let i = 0; i < tones; i++) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = 'square';
      osc.frequency.value = TONES_HZ[i % TONES_HZ.length]!;
      // Short ramps avoid clicks at the tone edges.
      gain.gain.setValueAtTime(0, t);
      gain.gain.linearRampToValueAtTime(VOLUME, t + 0.01);
      gain.gain.setValueAtTime(VOLUME, t + TONE_S - 0.02);
      gain.gain.linearRampToValueAtTime(0, t + TONE_S);
      osc.connect(gain).connect(ctx.destination);
      osc.start(t);
      osc.stop(t + TONE_S);
      t += TONE_S + GAP_S;
    }
  }
}
