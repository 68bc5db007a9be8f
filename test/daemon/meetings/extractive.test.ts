import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkModelOutput } from '../../../src/daemon/meetings/degenerate.js';
import { extractiveSummary } from '../../../src/daemon/meetings/extractive.js';
import { transcriptStamp } from '../../../src/protocol/meeting.js';

/** A planning meeting written for this test: cue phrases in some segments, none in others. */
export const PLANNING_MEETING = [
  'good morning everyone this is the release planning meeting',
  'the release candidate build failed on the payment service tests',
  'the payment service tests fail because the database migration is missing',
  'we need to write the database migration before the release candidate',
  'Maria will write the migration by Friday',
  'the documentation for the payment service is out of date',
  'we agreed to move the release to next Tuesday',
  "let's review the release checklist on Monday",
  'the weather was lovely at the weekend',
  'any other business no then thanks everyone',
].map((text, index) => ({ index, text, start_ms: index * 7_000, end_ms: index * 7_000 + 6_000, role: 'user', at: '2026-01-01T00:00:00.000Z' }));

const bullets = (summary: string, section: string) => {
  const body = summary.split(`## ${section}\n\n`)[1]!.split('\n\n')[0]!;
  return body.split('\n').filter((line) => line.startsWith('- '));
};

describe('extractive summaries (issue 14)', () => {
  it('picks central sentences from the transcript with their stamps, and lists cue-phrase action items and decisions', () => {
    const summary = extractiveSummary(PLANNING_MEETING);
    const texts = new Map(PLANNING_MEETING.map((segment) => [segment.text, segment]));
    const keyPoints = bullets(summary, 'Key points');
    assert.ok(keyPoints.length >= 3, summary);
    for (const line of [...keyPoints, ...bullets(summary, 'Action items'), ...bullets(summary, 'Decisions')]) {
      const [, stamp, text] = /^- \[(\d\d:\d\d)\] (.*)$/.exec(line)!;
      const segment = texts.get(text!);
      assert.ok(segment, `'${text}' is a sentence of the transcript`);
      assert.equal(stamp, transcriptStamp(segment.start_ms));
    }
    assert.ok(
      keyPoints.some((line) => line.includes('payment service')),
      'the meeting is about the payment service release',
    );
    assert.ok(!keyPoints.some((line) => line.includes('weather')), 'small talk is not central');
    assert.deepEqual(bullets(summary, 'Action items'), [
      '- [00:21] we need to write the database migration before the release candidate',
      '- [00:28] Maria will write the migration by Friday',
      "- [00:49] let's review the release checklist on Monday",
    ]);
    assert.deepEqual(bullets(summary, 'Decisions'), ['- [00:42] we agreed to move the release to next Tuesday']);
    const keywords = summary.split('## Keywords\n\n')[1]!.split(', ');
    assert.ok(keywords.includes('release') && keywords.includes('payment'), keywords.join(', '));
    assert.equal(extractiveSummary(PLANNING_MEETING), summary, 'deterministic');
  });

  it('says when the transcript has no action items, and lays out the action-items, decisions and standup templates', () => {
    const plain = extractiveSummary([
      { text: 'go forward ten meters', start_ms: 0 },
      { text: 'go somewhere and do something', start_ms: 3_000 },
    ]);
    assert.match(plain, /## Action items\n\n_none found in the transcript_/);
    assert.match(extractiveSummary(PLANNING_MEETING, 'action-items'), /^## Action items\n\n- \[00:21\] we need to write/);
    assert.doesNotMatch(extractiveSummary(PLANNING_MEETING, 'action-items'), /Key points/);
    assert.match(extractiveSummary(PLANNING_MEETING, 'decisions'), /^## Decisions\n\n- \[00:42\] we agreed/);
    assert.match(extractiveSummary(PLANNING_MEETING, 'standup'), /^## Done\n[\s\S]*## Next\n[\s\S]*## Blockers\n/);
  });

  it('picks a few key points, never the whole transcript again, and keywords that are not stop words (issue 27)', () => {
    const short = extractiveSummary([
      { text: 'go forward ten meters', start_ms: 0 },
      { text: 'thirty three four or six ninety two', start_ms: 3_000 },
      { text: 'go somewhere and do something', start_ms: 8_000 },
    ]);
    assert.equal(bullets(short, 'Key points').length, 1, short);
    const chatty = [
      'I mean it might be rather good I guess',
      'the deployment services might need rather more memory',
      'yeah I think the deployment services are really slow',
      'okay so the services deployment might be rather late',
      'honestly it might rather work',
      'the memory of the services is the problem',
    ].map((text, index) => ({ text, start_ms: index * 1_000 }));
    const keywords = extractiveSummary(chatty).split('## Keywords\n\n')[1]!.split(', ');
    for (const stopWord of ['might', 'rather', 'really', 'guess', 'yeah', 'okay', 'honestly'])
      assert.ok(!keywords.includes(stopWord), `'${stopWord}' is not a keyword: ${keywords.join(', ')}`);
    assert.deepEqual(keywords.slice(0, 3), ['services', 'deployment', 'memory'], 'as said, not stems, the most weighty first');
    const german = extractiveSummary(
      [
        { text: 'wir müssen die Datenbank und die Migration nicht vergessen', start_ms: 0 },
        { text: 'die Migration der Datenbank ist nicht fertig', start_ms: 1_000 },
      ],
      'default',
      'de',
    );
    assert.deepEqual(german.split('## Keywords\n\n')[1]!.split(', ').slice(0, 2).sort(), ['datenbank', 'migration'], "the meeting language's stop words");
  });

  it('splits punctuated segments into sentences', () => {
    const summary = extractiveSummary([{ text: 'The build is green. We will ship the release on Friday. Thanks all.', start_ms: 65_000 }], 'action-items');
    assert.equal(summary, '## Action items\n\n- [01:05] We will ship the release on Friday.');
  });
});

describe('degenerate model output (issue 14)', () => {
  const transcript = PLANNING_MEETING.map((segment) => segment.text).join('\n');

  it('rejects empty, repeated, non-word and off-topic output, and accepts a real summary', () => {
    assert.match(checkModelOutput('  \n', transcript).reason!, /empty/);
    assert.match(checkModelOutput('the release the release the release the release the release the release the release', transcript).reason!, /repeats itself/);
    assert.match(checkModelOutput('alph Floricane Pauloinst© WindowsCa Fellowchy© alph Floricane Pauloinst© WindowsCa', transcript).reason!, /non-words/);
    assert.match(checkModelOutput("I'm sorry, Dolly. I didn't know what to do.", transcript).reason!, /not about the transcript/);
    const real =
      '- The release candidate failed on the payment service tests.\n- Maria writes the database migration by Friday.\n- Decision: the release moves to next Tuesday.';
    assert.deepEqual(checkModelOutput(real, transcript), { degenerate: false, reason: null });
  });
});
