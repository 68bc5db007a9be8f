import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WavDecoder, WavError, wavHeader } from '../../../src/audio/wav.js';
import { PcmConverter } from '../../../src/audio/resample.js';
import { VOICE_FRAME_HEADER_BYTES, decodeVoiceFrame, encodeVoiceFrame } from '../../../src/protocol/voice.js';
import { judgeSpeechRate } from '../../../src/audio/rate-check.js';
import { recordingsWithReferences } from './recordings.js';
import { pcmOf, samplesOf } from './support.js';

const tone = (rate: number, hz: number, seconds: number, amplitude: number) =>
  Array.from({ length: Math.round(rate * seconds) }, (_, i) => amplitude * Math.sin((2 * Math.PI * hz * i) / rate));
const rms = (samples: ArrayLike<number>) => Math.sqrt(Array.from(samples).reduce((sum, value) => sum + value * value, 0) / samples.length);
/** The steady part of a filtered signal, away from the filter's start-up. */
const middle = (samples: Int16Array) => samples.subarray(Math.floor(samples.length * 0.2), Math.floor(samples.length * 0.8));
const zeroCrossings = (samples: Int16Array) =>
  samples.reduce((count, value, i) => (i > 0 && Math.sign(value) !== Math.sign(samples[i - 1]!) && value !== 0 ? count + 1 : count), 0);

describe('PcmConverter: downmix and resampling for the engine', () => {
  it('passes 16 kHz mono through unchanged and averages stereo pairs', () => {
    const mono = pcmOf([0, 1, -1, 32767, -32768, 1234]);
    assert.deepEqual(Array.from(new PcmConverter(16000, 1, 16000).convert(mono)), [0, 1, -1, 32767, -32768, 1234]);
    const stereo = pcmOf([1000, 3000, -200, -400, 32767, 32767]);
    assert.deepEqual(Array.from(new PcmConverter(16000, 2, 16000).convert(stereo)), [2000, -300, 32767]);
  });

  it('keeps a 1 kHz tone at its pitch and level from 48, 44.1 and 8 kHz to 16 kHz', () => {
    for (const rate of [48000, 44100, 8000]) {
      const output = middle(new PcmConverter(rate, 1, 16000).convert(pcmOf(tone(rate, 1000, 1, 10000))));
      const seconds = output.length / 16000;
      assert.ok(Math.abs(zeroCrossings(output) / seconds / 2 - 1000) < 20, `${rate} Hz: pitch ${zeroCrossings(output) / seconds / 2} Hz`);
      assert.ok(Math.abs(rms(output) - 10000 / Math.SQRT2) < 0.05 * 7071, `${rate} Hz: level ${rms(output)}`);
    }
  });

  it('filters out what 16 kHz cannot carry instead of folding it into the speech band', () => {
    const input = tone(48000, 12000, 1, 10000);
    const output = middle(new PcmConverter(48000, 1, 16000).convert(pcmOf(input)));
    assert.ok(rms(output) < 0.03 * rms(input), `a 12 kHz tone leaks through at ${((100 * rms(output)) / rms(input)).toFixed(1)} %`);
  });

  it('produces the same samples however the input is split into chunks', () => {
    const input = pcmOf(Array.from({ length: 44100 }, (_, i) => Math.round(Math.sin(i * 0.37) * 8000 + Math.cos(i * 0.011) * 5000)));
    const whole = new PcmConverter(44100, 2, 16000).convert(input);
    const pieces = new PcmConverter(44100, 2, 16000);
    const parts: number[] = [];
    for (let offset = 0, size = 4; offset < input.length; offset += size, size = ((size * 7) % 4000) + 4)
      parts.push(...pieces.convert(input.subarray(offset, offset + size)));
    assert.deepEqual(parts, Array.from(whole));
    assert.ok(Math.abs(whole.length - 22050 * (16000 / 44100)) < 20, `length ${whole.length}`);
  });
});

describe('WavDecoder (src/audio/wav.ts)', () => {
  const wav = (rate: number, channels: number, data: Buffer) => Buffer.concat([wavHeader(rate, channels, data.length), data]);

  it('reads 16-bit PCM of any rate and channel count, pushed whole or byte by byte', () => {
    const data = pcmOf([1, -2, 3, -4, 5, -6]);
    const file = wav(44100, 2, data);
    const whole = new WavDecoder();
    assert.deepEqual(whole.push(file), data);
    assert.deepEqual(whole.format, { sampleRate: 44100, channels: 2, sourceChannels: 2, sourceBitsPerSample: 16, dataBytes: 12 });
    const bytewise = new WavDecoder();
    const out = Buffer.concat([...file].map((byte) => bytewise.push(Buffer.from([byte]))));
    assert.deepEqual(out, data);
  });

  it('converts 8-, 24-bit and float samples to 16-bit and mixes more than two channels to mono', () => {
    const withFormat = (tag: number, channels: number, bits: number, data: Buffer) => {
      const header = wavHeader(8000, channels, data.length);
      header.writeUInt16LE(tag, 20);
      header.writeUInt16LE(bits, 34);
      return Buffer.concat([header, data]);
    };
    const eightBit = new WavDecoder().push(withFormat(1, 1, 8, Buffer.from([128, 255, 0])));
    assert.deepEqual([...new Int16Array(eightBit.buffer, eightBit.byteOffset, 3)], [0, 32512, -32768]);
    const twentyFour = Buffer.alloc(6);
    twentyFour.writeIntLE(4194304, 0, 3);
    twentyFour.writeIntLE(-8388608, 3, 3);
    assert.deepEqual(new WavDecoder().push(withFormat(1, 1, 24, twentyFour)), pcmOf([16384, -32768]));
    const float = Buffer.alloc(8);
    float.writeFloatLE(0.5, 0);
    float.writeFloatLE(-2, 4);
    assert.deepEqual(new WavDecoder().push(withFormat(3, 1, 32, float)), pcmOf([16384, -32768]));
    const quad = new WavDecoder();
    assert.deepEqual(quad.push(wav(16000, 4, pcmOf([100, 200, 300, 400, -4, -4, -4, -4]))), pcmOf([250, -4]));
    assert.equal(quad.format!.channels, 1);
    assert.equal(quad.format!.sourceChannels, 4);
  });

  it('skips chunks before the audio, stops at the declared size, and streams until end of input when the size is unknown', () => {
    const data = pcmOf([7, 8, 9]);
    const header = wavHeader(16000, 1, data.length);
    const list = Buffer.concat([Buffer.from('LIST'), Buffer.from([5, 0, 0, 0]), Buffer.from('abcde'), Buffer.from([0])]);
    const withList = Buffer.concat([header.subarray(0, 36), list, header.subarray(36), data, Buffer.from('trailing junk!')]);
    assert.deepEqual(new WavDecoder().push(withList), data);

    const streaming = wavHeader(16000, 1, 0);
    streaming.writeUInt32LE(0xffffffff, 40);
    const decoder = new WavDecoder();
    assert.deepEqual(decoder.push(Buffer.concat([streaming, data, data])), Buffer.concat([data, data]));
    assert.equal(decoder.format!.dataBytes, null);
  });

  it('refuses MP3 (with or without a .wav name), compressed WAV and a cut-off header with a reason', () => {
    assert.throws(
      () => new WavDecoder().push(Buffer.concat([Buffer.from('ID3'), Buffer.alloc(20)])),
      (error: unknown) => error instanceof WavError && /looks like MP3/.test(error.message),
    );
    assert.throws(() => new WavDecoder().push(Buffer.from([0xff, 0xfb, 0x90, 0x64, ...Buffer.alloc(20)])), /looks like MP3/);
    const mp3InWav = wavHeader(16000, 1, 4);
    mp3InWav.writeUInt16LE(0x55, 20);
    assert.throws(() => new WavDecoder().push(mp3InWav), /compressed \(format tag 0x55\)/);
    const cut = new WavDecoder();
    cut.push(wavHeader(16000, 1, 4).subarray(0, 30));
    assert.throws(() => cut.end(), /ended before its header was complete/);
  });
});

describe('binary frame codec (docs/protocol.md#binary-frames)', () => {
  it('encodes the 26-byte header and decodes what it can of short frames', () => {
    const id = '0123456789abcdef0123456789abcdef';
    const frame = encodeVoiceFrame(id, 2n ** 40n, Buffer.from([1, 2, 3, 4]));
    assert.equal(frame.length, VOICE_FRAME_HEADER_BYTES + 4);
    assert.equal(frame[0], 1);
    assert.equal(frame[25], 0);
    assert.deepEqual([...frame.subarray(1, 17)], [...Buffer.from(id, 'hex')], 'the session id as 16 raw bytes');
    assert.deepEqual([...frame.subarray(17, 25)], [0, 0, 0, 0, 0, 1, 0, 0], 'the sequence number as a little-endian u64');
    assert.deepEqual(decodeVoiceFrame(frame), { complete: true, sessionId: id, type: 1, seq: 2n ** 40n, payload: new Uint8Array([1, 2, 3, 4]) });
    const fromSocket = decodeVoiceFrame(Buffer.from(frame));
    assert.ok(fromSocket.complete && Buffer.isBuffer(fromSocket.payload), 'a Buffer frame (as the daemon receives it) decodes to a Buffer payload');
    assert.deepEqual(decodeVoiceFrame(frame.subarray(0, 20)), { complete: false, sessionId: id });
    assert.deepEqual(decodeVoiceFrame(frame.subarray(0, 16)), { complete: false, sessionId: null });
  });
});

describe('judgeSpeechRate: raw audio at the wrong rate is told apart from 16 kHz speech by its voice pitch', () => {
  it('finds 16 kHz recordings plausible and the same recordings at 48 kHz, sent as 16 kHz, not (the first 5 s, as the CLI checks)', () => {
    const firstSeconds = (samples: Int16Array) => samples.subarray(0, 5 * 16000);
    for (const recording of recordingsWithReferences().filter((each) => each.pcm.length >= 3 * 32000)) {
      assert.equal(judgeSpeechRate(firstSeconds(samplesOf(recording.pcm))).verdict, 'plausible', recording.name);
      const at48k = new PcmConverter(16000, 1, 48000).convert(recording.pcm);
      assert.notEqual(judgeSpeechRate(firstSeconds(at48k)).verdict, 'plausible', `${recording.name} recorded at 48 kHz`);
    }
  });

  it('has no opinion on silence', () => {
    assert.equal(judgeSpeechRate(new Int16Array(16000 * 3)).verdict, 'no-voice');
  });
});
