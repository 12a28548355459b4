// The studio's Voices page end to end in a real browser (Debian's Chromium through playwright-core)
// against a real server on loopback serving a studio built from web/ for this run, with the real
// espeak engine. The microphone is Chromium's fake capture device, fed from a WAV file of speech
// the server itself made (--use-file-for-fake-audio-capture), so the recording passes the
// server's real quality checks; permission prompts are answered by --use-fake-ui-for-media-stream.
// One browser; one page.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { decodeAudio } from '../../src/audio/decoders.js';
import { encodeWav, wavSampleRate } from '../../web/src/voices/wav.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { expectError, speech, TRANSCRIPT, uploadVoice } from '../helpers/voices.js';
import { assertFitsPhone, DESKTOP, played, screenshot, seriousViolations, StudioHarness } from './browser.js';

interface VoiceWire {
  id: string;
  name: string;
  kind: 'preset' | 'cloned';
  language?: string;
  gender?: string | null;
  transcript?: string;
  durationSeconds?: number;
  original?: { format: string; sampleRate: number; channels: number; bytes: number };
}

const harness = new StudioHarness();
let server: TestServer;
let page: Page;
let problems: string[];

async function library(): Promise<VoiceWire[]> {
  const res = await fetch(`${server.url}/v1/voices`);
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()) as { data: VoiceWire[] }).data.filter((v) => v.kind === 'cloned');
}

/** A tone at `amplitude` (full scale 1) for `seconds`, as a 16 kHz WAV made by the page's own encoder. */
function tone(amplitude: number, seconds: number, shape: 'sine' | 'square' = 'sine'): Uint8Array {
  const rate = 16000;
  const samples = new Float32Array(rate * seconds);
  for (let i = 0; i < samples.length; i++) {
    const s = Math.sin((2 * Math.PI * 220 * i) / rate);
    samples[i] = amplitude * (shape === 'square' ? Math.sign(s) : s);
  }
  return encodeWav([samples], rate);
}

/** Chooses "Upload a file", sets `bytes` as the file and submits with a valid name, transcript and consent. */
async function uploadThroughPage(bytes: Uint8Array, filename: string): Promise<void> {
  await page.getByLabel('Upload a file').check();
  await page.locator('#voice-file').setInputFiles({ name: filename, mimeType: 'audio/wav', buffer: Buffer.from(bytes) });
  await page.locator('[data-testid=file-playback]').waitFor();
  await page.locator('#voice-transcript').fill(TRANSCRIPT);
  await page.locator('#voice-name').fill(`File ${filename}`);
  if (!(await page.locator('#voice-consent').isChecked())) await page.locator('#voice-consent').check();
  await page.getByRole('button', { name: 'Add voice' }).click();
}

before(async () => {
  const studioDir = await harness.build('voices');
  server = await startTestServer({}, { studioRoot: studioDir });
  harness.defer(() => server.close());
  // The fake microphone plays this speech (in a loop) to every getUserMedia.
  const fakeMic = join(studioDir, 'fake-microphone.wav');
  await writeFile(fakeMic, await speech(server.url, { format: 'wav', sample_rate: 48000 }));
  await harness.launch(['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-audio-capture=${fakeMic}`]);
  ({ page, problems } = await harness.open());
});

after(() => harness.close());

describe('the WAV encoder the page uploads recordings with', () => {
  it('writes 16-bit PCM that the server decodes to the same samples (clamped, within 1.5 steps: the server divides by 32768)', async () => {
    const samples = Float32Array.from({ length: 4800 }, (_, i) => 1.2 * Math.sin(i / 7));
    const wav = encodeWav([samples.subarray(0, 1000), samples.subarray(1000)], 48000);
    assert.equal(wavSampleRate(wav), 48000);
    assert.equal(Buffer.from(wav.subarray(0, 4)).toString('ascii'), 'RIFF');
    const decoded = await decodeAudio(wav, { maxSeconds: 10, maxSamples: 1e6 });
    assert.equal(decoded.sampleRate, 48000);
    assert.equal(decoded.channels.length, 1);
    const channel = decoded.channels[0] as Float32Array;
    assert.equal(channel.length, samples.length);
    for (let i = 0; i < samples.length; i++) {
      const want = Math.max(-1, Math.min(1, samples[i] as number));
      assert.ok(Math.abs((channel[i] as number) - want) <= 1.5 / 32768 + 1e-7, `sample ${i}: ${channel[i]} vs ${want}`);
    }
    assert.equal(wavSampleRate(new TextEncoder().encode('not a wav file at all')), null);
  });
});

describe('the Voices page', () => {
  let sampleRate = 0;

  it('opens with an empty library and the engine\'s presets', async () => {
    await page.goto(`${server.url}/#/voices`);
    await page.getByRole('heading', { level: 1, name: 'Voices' }).waitFor();
    await page.locator('[data-testid=library-empty]').waitFor();
    assert.equal(await page.getByRole('link', { name: 'Voices' }).getAttribute('aria-current'), 'page');
    const presets = (await (await fetch(`${server.url}/v1/voices`)).json()) as { data: VoiceWire[] };
    const presetCount = presets.data.filter((v) => v.kind === 'preset').length;
    assert.ok(presetCount > 0);
    await page.locator('details.presets summary').click();
    assert.equal(await page.locator('[data-testid=preset-table] tbody tr').count(), presetCount);
    await page.locator('details.presets summary').click();
    assert.deepEqual(problems, []);
  });

  it('refuses to send an incomplete form, saying beside each field what is missing', async () => {
    await page.getByRole('button', { name: 'Add voice' }).click();
    assert.equal(await page.locator('#voice-audio-error').textContent(), 'Record something or choose a file first.');
    assert.equal(await page.locator('#voice-name-error').textContent(), 'Give the voice a name.');
    assert.equal(await page.locator('#voice-transcript-error').textContent(), 'Type what is said in the recording.');
    assert.equal(await page.locator('#voice-consent-error').textContent(), 'Confirm that the speaker agreed.');
    assert.equal(await page.locator('#voice-consent').getAttribute('aria-invalid'), 'true');
    assert.match((await page.locator('#voice-transcript').getAttribute('aria-describedby')) ?? '', /voice-transcript-error/);
    // The keyboard goes to the first problem: the recorder.
    await page.locator('button:focus', { hasText: 'Record' }).waitFor();
    assert.deepEqual(await library(), []);
  });

  it('records from the microphone: the level meter moves, the timer counts, the take plays back', async () => {
    await page.getByRole('button', { name: 'Record', exact: true }).click();
    await page.getByRole('button', { name: 'Stop', exact: true }).waitFor();
    // Speech reaches the meter (the fake device's file, through the capture worklet).
    await page.waitForFunction(() => {
      const meter = (globalThis as unknown as { document: { querySelector(q: string): { value: number } | null } }).document.querySelector('#record-level');
      return meter !== null && meter.value > 0.05;
    });
    // The timer counts samples received; stop after 4.5 s of them.
    await page.waitForFunction(() => {
      const time = (globalThis as unknown as { document: { querySelector(q: string): { dataset: { seconds?: string } } | null } }).document.querySelector('[data-testid=record-time]');
      return Number(time?.dataset.seconds ?? 0) >= 4.5;
    });
    assert.match((await page.locator('[data-testid=record-time]').textContent()) ?? '', /0:0\d\.\d \/ 0:30\.0 · good length/);
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    await page.locator('[data-testid=record-panel][data-state=done]').waitFor();
    const seconds = Number(await page.locator('[data-testid=record-time]').getAttribute('data-seconds'));
    assert.ok(seconds >= 4.5 && seconds < 30, `recorded ${seconds} s`);
    await page.getByRole('button', { name: 'Re-take' }).waitFor();
    assert.match((await page.locator('[data-testid=record-panel]').textContent()) ?? '', new RegExp(`Recorded ${seconds.toFixed(1)} s\\.`));
    // The meter rests once the microphone is released.
    assert.equal(await page.locator('#record-level').evaluate((el) => (el as unknown as { value: number }).value), 0);

    const playback = page.locator('[data-testid=record-playback]');
    assert.match((await playback.getAttribute('src')) ?? '', /^blob:/);
    await playback.evaluate((el) => (el as unknown as { play(): Promise<void> }).play());
    await played(page, '[data-testid=record-playback]');
    const duration = await playback.evaluate((el) => (el as unknown as { duration: number }).duration);
    assert.ok(Math.abs(duration - seconds) < 0.01, `the WAV holds ${duration} s, the timer said ${seconds} s`);
    assert.deepEqual(problems, []);
  });

  it('saves the take with its transcript and consent: the verdict in words, the voice in the list and the API', async () => {
    await page.locator('#voice-transcript').fill(TRANSCRIPT);
    await page.locator('#voice-name').fill('Mic voice');
    await page.locator('#voice-language').selectOption('en');
    await page.locator('#voice-gender').selectOption({ label: 'female' });
    await page.locator('#voice-consent').check();
    // The fields' messages went as each changed; the recorder's when the take was made.
    assert.equal(await page.locator('.field-error').count(), 0);
    await page.getByRole('button', { name: 'Add voice' }).click();
    const accepted = page.locator('[data-testid=voice-accepted]');
    await accepted.waitFor();
    assert.match((await accepted.textContent()) ?? '', /^Added “Mic voice”\. Passed the checks: \d+\.\d s of speech, recorded at \d+(\.\d)? kHz, mono\.$/);

    const stored = await library();
    assert.equal(stored.length, 1);
    const voice = stored[0] as VoiceWire;
    assert.deepEqual([voice.name, voice.language, voice.gender, voice.transcript, voice.original?.format, voice.original?.channels], ['Mic voice', 'en', 'female', TRANSCRIPT, 'wav', 1]);
    sampleRate = voice.original?.sampleRate ?? 0;
    assert.ok(sampleRate >= 16000, `recorded at ${sampleRate} Hz`);
    // What the page uploaded is a 16-bit PCM WAV, kept as sent.
    const original = Buffer.from(await (await fetch(`${server.url}/v1/voices/${voice.id}/audio?variant=original`)).arrayBuffer());
    assert.equal(original.toString('ascii', 0, 4), 'RIFF');
    assert.deepEqual([original.readUInt16LE(20), original.readUInt16LE(22), original.readUInt32LE(24), original.readUInt16LE(34)], [1, 1, sampleRate, 16]);

    const row = page.locator(`[data-testid=voice-table] tbody tr[data-id=${voice.id}]`);
    await row.waitFor();
    assert.equal(await row.locator('th').textContent(), 'Mic voice');
    assert.equal(await row.getByLabel('Gender of “Mic voice”').inputValue(), 'female');
    assert.match((await row.textContent()) ?? '', new RegExp(`English \\(en\\).*${voice.durationSeconds?.toFixed(1)} s.*Passed the checks · ${sampleRate / 1000} kHz mono WAV`));
    // A fresh form for the next voice.
    assert.equal(await page.locator('#voice-transcript').inputValue(), '');
    assert.equal(await page.locator('#voice-consent').isChecked(), false);
    assert.equal(await page.locator('#voice-gender').inputValue(), '', 'gender back to "not stated"');
    assert.equal(await page.locator('[data-testid=record-panel]').getAttribute('data-state'), 'idle');
    assert.deepEqual(problems, []);
  });

  it('shows the server\'s verdict on an 8 kHz file in words, beside the file, with the server\'s message', async () => {
    const lowRate = await speech(server.url, { format: 'wav', sample_rate: 8000 });
    const refusal = await expectError(await uploadVoice(server.url, { audio: { bytes: lowRate } }), 422, 'audio_sample_rate_too_low', 'audio');
    await uploadThroughPage(lowRate, 'phone-line.wav');
    const verdict = page.locator('#voice-audio-error');
    await verdict.waitFor();
    assert.equal(await verdict.getAttribute('data-code'), 'audio_sample_rate_too_low');
    assert.equal(await verdict.locator('.problem').textContent(), '8 kHz: needs 16 kHz or more.');
    assert.equal(await verdict.locator('.help').textContent(), `The server says: ${refusal.message}`);
    assert.equal(await page.locator('#voice-file').getAttribute('aria-invalid'), 'true');
    assert.match((await page.locator('#voice-file').getAttribute('aria-describedby')) ?? '', /voice-audio-error/);
    assert.equal((await library()).length, 1);
    assert.deepEqual(await seriousViolations(page), []);
  });

  it('shows "too quiet" and "clipped" for such files, and in Chinese after switching', async () => {
    const quiet = tone(0.0005, 5);
    await expectError(await uploadVoice(server.url, { audio: { bytes: quiet } }), 422, 'audio_silent', 'audio');
    await uploadThroughPage(quiet, 'whisper.wav');
    const verdict = page.locator('#voice-audio-error');
    await page.locator('#voice-audio-error[data-code=audio_silent]').waitFor();
    assert.equal(await verdict.locator('.problem').textContent(), 'Too quiet: the recording is nearly silent.');

    const clipped = tone(1, 5, 'square');
    await expectError(await uploadVoice(server.url, { audio: { bytes: clipped } }), 422, 'audio_clipped', 'audio');
    await uploadThroughPage(clipped, 'shouting.wav');
    await page.locator('#voice-audio-error[data-code=audio_clipped]').waitFor();
    assert.equal(await verdict.locator('.problem').textContent(), 'Clipped: too loud, the peaks are cut off. Record at a lower level.');

    await page.getByTestId('language').click();
    await page.getByRole('heading', { level: 1, name: '音色' }).waitFor();
    await page.getByRole('button', { name: '添加音色' }).click();
    await page.locator('#voice-audio-error[data-code=audio_clipped]').waitFor();
    assert.equal(await verdict.locator('.problem').textContent(), '削波：音量太大，峰值被截断。请用较低的音量录音。');
    assert.deepEqual(await seriousViolations(page), []);
    await page.getByTestId('language').click();
    await page.getByRole('heading', { level: 1, name: 'Voices' }).waitFor();
    // The verdict is kept as the server's code, so its words follow the switch back.
    assert.equal(await verdict.locator('.problem').textContent(), 'Clipped: too loud, the peaks are cut off. Record at a lower level.');
    assert.equal((await library()).length, 1);
    assert.deepEqual(problems, []);
  });

  it('plays a library voice from the service', async () => {
    const [voice] = await library();
    await page.getByRole('button', { name: 'Play Mic voice' }).click();
    const audio = `[data-testid=voice-table] tr[data-id=${voice?.id}] audio`;
    await played(page, audio);
    assert.match((await page.locator(audio).getAttribute('src')) ?? '', /^blob:/);
    assert.deepEqual(problems, []);
  });

  it('renames a voice in place: Escape keeps the name, Enter saves it', async () => {
    const [voice] = await library();
    const row = page.locator(`[data-testid=voice-table] tbody tr[data-id=${voice?.id}]`);
    await page.getByRole('button', { name: 'Rename Mic voice' }).click();
    const input = row.getByLabel('Rename Mic voice');
    await row.locator('input:focus').waitFor();
    await input.fill('Nope');
    await input.press('Escape');
    await page.locator('button[aria-label="Rename Mic voice"]:focus').waitFor();
    assert.equal(await row.locator('th').textContent(), 'Mic voice');

    await page.getByRole('button', { name: 'Rename Mic voice' }).click();
    await row.getByLabel('Rename Mic voice').fill('Morning narrator');
    await row.getByLabel('Rename Mic voice').press('Enter');
    await page.locator('button[aria-label="Rename Morning narrator"]:focus').waitFor();
    assert.equal(await row.locator('th').textContent(), 'Morning narrator');
    assert.deepEqual(
      (await library()).map((v) => v.name),
      ['Morning narrator'],
    );
    assert.deepEqual(problems, []);
  });

  it('changes a voice\'s gender from its row: saved, announced, and shown in Speak\'s voice picker', async () => {
    const [voice] = await library();
    const row = page.locator(`[data-testid=voice-table] tbody tr[data-id=${voice?.id}]`);
    const gender = row.getByLabel('Gender of “Morning narrator”');
    await gender.selectOption({ label: 'male' });
    await page.getByRole('status').filter({ hasText: 'Saved: male.' }).waitFor();
    assert.equal(await gender.isEnabled(), true);
    assert.deepEqual((await library()).map((v) => v.gender), ['male']);

    await page.goto(`${server.url}/#/speak`);
    const option = page.locator(`#voice option[value=${voice?.id}]`);
    await option.waitFor({ state: 'attached' });
    assert.equal(await option.textContent(), 'Morning narrator · male · recorded in English');
    assert.match((await page.locator('#voice option[value=sam]').textContent()) ?? '', / · male · /, 'presets say theirs the same way');

    await page.goto(`${server.url}/#/voices`);
    await row.getByLabel('Gender of “Morning narrator”').selectOption({ label: 'Not stated' });
    await page.getByRole('status').filter({ hasText: 'Saved: Not stated.' }).waitFor();
    assert.deepEqual((await library()).map((v) => v.gender), [null]);
    assert.deepEqual(problems, []);
  });

  it('has no serious or critical accessibility violations, fits 375 px, and leaves a screenshot', async () => {
    assert.deepEqual(await seriousViolations(page), []);
    await screenshot(page, 'studio-voices.png');
    await assertFitsPhone(page);
    await screenshot(page, 'studio-voices-375.png');
    assert.deepEqual(await seriousViolations(page), []);
    await page.setViewportSize(DESKTOP);
  });

  it('deletes a voice after asking: gone from the page and the server', async () => {
    const [voice] = await library();
    await page.getByRole('button', { name: 'Delete Morning narrator' }).click();
    await page.locator('button:focus', { hasText: 'Yes, delete' }).waitFor();
    await page.keyboard.press('Escape');
    await page.locator('button[aria-label="Delete Morning narrator"]:focus').waitFor();
    await page.getByRole('button', { name: 'Delete Morning narrator' }).click();
    await page.getByRole('button', { name: 'Yes, delete' }).click();
    await page.locator('[data-testid=library-empty]').waitFor();
    assert.equal(await page.locator('[data-testid=voice-table]').count(), 0);
    assert.deepEqual(await library(), []);
    assert.equal((await fetch(`${server.url}/v1/voices/${voice?.id}`)).status, 404);
    assert.deepEqual(problems, []);
  });
});
