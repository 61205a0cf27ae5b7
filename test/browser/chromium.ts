/** Debian's Chromium, headless, as every browser test launches it. */
import { chromium, type Browser } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/**
 * SwiftShader gives headless Chromium WebGL without a GPU; the background
 * services are off because this machine has no internet to reach them.
 */
const ARGS = [
  '--no-sandbox',
  '--headless=new',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export function launchChromium(opts: { lang?: string } = {}): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: opts.lang ? [...ARGS, `--lang=${opts.lang}`] : ARGS });
}
