import { extractiveSummary } from '../../src/daemon/meetings/extractive.js';
import { atLeast, type BenchRow } from '../harness.js';

/**
 * An hour of a planning meeting as a recogniser hears it: sentences about four topics, mixed
 * with the small talk and filler of a real call (greetings, mute, "I mean it might be rather…").
 * Synthetic, so what counts as a topic is known; deterministic, so runs compare.
 */
const TOPICS = {
  payment: [
    'the payment service fails its integration tests on the staging database',
    'the payment migration needs a rollback script before we run it in production',
    'card refunds in the payment service time out after thirty seconds',
    'we should add retries to the payment gateway client',
  ],
  release: [
    'the release candidate is blocked by the payment migration',
    'we agreed to move the release to next Tuesday',
    'the release notes still miss the new export formats',
    'Maria will tag the release candidate on Monday',
  ],
  hiring: [
    'we have two backend interviews scheduled for Thursday',
    'the hiring budget covers one more engineer this quarter',
    'onboarding for the new engineer starts with the deployment guide',
    'Tom will update the job description for the backend role',
  ],
  latency: [
    'dashboard latency doubled after the cache change',
    'the cache eviction runs every minute and blocks the dashboard queries',
    'we need latency alerts on the dashboard service',
    'profiling shows the dashboard spends its time serialising reports',
  ],
} as const;

const FILLER = [
  'yeah',
  'okay so um',
  'sorry you were on mute',
  'can everyone hear me',
  'I mean it might be rather good I guess',
  'right right',
  'so yeah anyway',
  'good morning everyone',
  'let me just share my screen',
  'no worries at all',
  'I think so yeah',
  'hang on a second',
  'the weather has been lovely this week',
  'does that make sense',
  'sounds good to me',
  'whatever works for you really',
];

/** The content words that name the topics: what a reader wants among the keywords. */
const TOPIC_TERMS = new Set(
  'payment service integration tests staging database migration rollback script production card refunds gateway client retries release candidate notes export formats tag interviews backend hiring budget engineer quarter onboarding deployment guide job description role dashboard latency cache change eviction queries alerts profiling reports serialising'.split(
    ' ',
  ),
);

const HOUR_SEGMENTS = 1200;

/** One segment every three seconds; about every other one is filler, the rest cycle through the topics' sentences. */
export function plannedHour(): { text: string; start_ms: number }[] {
  const topical = Object.values(TOPICS).flat();
  return Array.from({ length: HOUR_SEGMENTS }, (_, index) => ({
    text: (index * 7) % 11 < 5 ? FILLER[(index * 5) % FILLER.length]! : topical[(index * 3) % topical.length]!,
    start_ms: index * 3000,
  }));
}

const isTopical = (sentence: string) => Object.values(TOPICS).some((sentences) => (sentences as readonly string[]).includes(sentence));

/**
 * How much of the extractive summary of that hour is about the meeting: the share of its key
 * points that are topic sentences against the share among the same number of sentences taken
 * evenly through the transcript (what a reader skimming gets), and the share of its keywords
 * that name a topic against the share of topic words among the transcript's words.
 */
export function summaryQuality(): BenchRow[] {
  const segments = plannedHour();
  const summary = extractiveSummary(segments);
  const section = (title: string) => summary.split(`## ${title}\n\n`)[1]!.split('\n\n')[0]!;
  const keyPoints = section('Key points')
    .split('\n')
    .map((line) => line.replace(/^- \[[\d:]+\] /, ''));
  const step = segments.length / keyPoints.length;
  const skimmed = keyPoints.map((_, i) => segments[Math.floor(i * step)]!.text);
  const share = (items: string[], test: (item: string) => boolean) => items.filter(test).length / items.length;
  const keywords = section('Keywords').split(', ');
  const words = segments.flatMap((segment) => segment.text.toLowerCase().split(/\s+/));
  return [
    atLeast(
      `extractive key points that are on topic, 1-hour transcript (${keyPoints.length} picked) vs evenly skimmed sentences`,
      'share',
      share(keyPoints, isTopical),
      share(skimmed, isTopical),
      1.5,
    ),
    atLeast(
      `extractive keywords that name a topic (${keywords.join(', ')}) vs the transcript's words`,
      'share',
      share(keywords, (word) => TOPIC_TERMS.has(word)),
      share(words, (word) => TOPIC_TERMS.has(word)),
      2,
    ),
  ];
}
