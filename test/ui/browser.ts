// What the browser tests share: the studio built for the run and Debian's Chromium (StudioHarness,
// which closes what it opened in reverse order), a page whose uncaught errors and CSP refusals
// are collected, axe-core's serious or critical violations of a page as it is now, the phone-width
// check and screenshots kept as test artifacts.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { buildStudio } from './studio-build.js';

/** Debian's Chromium (scripts/test.sh installs the `chromium` package when it is missing). */
export const CHROMIUM = '/usr/bin/chromium';
export const WAIT_MS = 60_000;
/** The viewport every page opens with (a laptop); phone checks narrow it and restore this. */
export const DESKTOP = { width: 1280, height: 900 } as const;
/** Where the pages' screenshots are kept after the run (test artifacts, not inputs). */
export const ARTIFACTS = fileURLToPath(new URL('../../dist/test-artifacts/', import.meta.url));
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** A page whose uncaught errors and CSP refusals are collected (tests assert the list is empty). */
export async function openPage(context: BrowserContext): Promise<{ page: Page; problems: string[] }> {
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`uncaught: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /Content Security Policy|Refused to/i.test(msg.text())) problems.push(`CSP: ${msg.text()}`);
  });
  return { page, problems };
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/** axe-core's violations of impact serious or critical on the page as it is now. */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  // Evaluated through the DevTools protocol, which the page's CSP does not govern.
  await page.evaluate(AXE_SOURCE);
  const violations = (await page.evaluate(
    "axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) })))",
  )) as AxeViolation[];
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Waits until the media element at `selector` has played past 0.2 s or to its end (a function, not a string: the CSP forbids eval). */
export function played(page: Page, selector: string): Promise<unknown> {
  return page.waitForFunction(
    (sel) => {
      const el = (globalThis as unknown as { document: { querySelector(q: string): { currentTime: number; ended: boolean } | null } }).document.querySelector(sel);
      return el !== null && (el.currentTime > 0.2 || el.ended);
    },
    selector,
    { timeout: WAIT_MS },
  );
}

/** The page's width against its viewport's: a page that fits has no horizontal scrolling. */
export async function widths(page: Page): Promise<{ scroll: number; client: number }> {
  return (await page.evaluate('({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth })')) as { scroll: number; client: number };
}

/**
 * Asserts the page has no horizontal scrolling at a phone's width (and leaves it at that width);
 * on failure the message names the elements that stick out (the deepest ones name the culprit).
 */
export async function assertFitsPhone(page: Page, width = 375, height = 740): Promise<void> {
  await page.setViewportSize({ width, height });
  const { scroll, client } = await widths(page);
  if (scroll <= client) return;
  const wide = await page
    .locator('body *')
    .evaluateAll((els, limit) => els.filter((e) => e.getBoundingClientRect().right > limit + 1).slice(-5).map((e) => `${e.tagName.toLowerCase()}.${e.getAttribute('class') ?? ''}#${e.id}`), client);
  assert.fail(`the page is ${scroll} px wide in a ${client} px viewport; sticking out: ${wide.join(', ')}`);
}

/** A full-page screenshot in ARTIFACTS; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, name);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * The studio built from web/ into a folder of the run's own (so the tests drive the sources as
 * they are), Debian's Chromium, and pages in their own contexts. Whatever it opened, and what a
 * test hands it with `defer` (a server), is closed by `close` in reverse order: pages, then the
 * browser and servers, then the folder.
 */
export class StudioHarness {
  studioDir = '';
  private browser: Browser | null = null;
  private readonly closers: (() => Promise<unknown>)[] = [];

  /** Builds the studio into a fresh temp folder named after `label`; returns the folder. */
  async build(label: string): Promise<string> {
    this.studioDir = await mkdtemp(join(tmpdir(), `cosyfleet-studio-${label}-`));
    const dir = this.studioDir;
    this.closers.push(() => rm(dir, { recursive: true, force: true }));
    await buildStudio(dir);
    return dir;
  }

  /** Launches Debian's Chromium with `args` (e.g. a fake microphone). */
  async launch(args: readonly string[] = []): Promise<Browser> {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium; npm test does it)`);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: [...args] });
    this.browser = browser;
    this.closers.push(() => browser.close());
    return browser;
  }

  /** A new context (DESKTOP, en-US unless told otherwise) and its page, problems collected. */
  async open(options: BrowserContextOptions = {}): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
    assert.ok(this.browser, 'launch() first');
    const context = await this.browser.newContext({ viewport: DESKTOP, locale: 'en-US', ...options });
    // Closing a context twice is harmless, so a test may close one early itself.
    this.closers.push(() => context.close());
    return { context, ...(await openPage(context)) };
  }

  /** Something else to close with the rest (a server), in its turn. */
  defer(close: () => Promise<unknown>): void {
    this.closers.push(close);
  }

  /** Closes everything, the last opened first; every closer runs even when one fails. */
  async close(): Promise<void> {
    const failures: unknown[] = [];
    for (const close of this.closers.splice(0).reverse()) {
      await close().catch((err: unknown) => failures.push(err));
    }
    if (failures.length > 0) throw failures[0];
  }
}
