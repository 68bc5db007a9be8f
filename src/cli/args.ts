import { Args } from '@oclif/core';

/**
 * A positional argument that is never filled from stdin. oclif reads a pipe into a missing
 * argument (racing a 10 ms timer), which swallows the start of audio, prompts or envelopes
 * that our commands read from stdin themselves with `-`.
 */
export const stringArg: typeof Args.string = ((options: Parameters<typeof Args.string>[0]) =>
  Args.string({ ignoreStdin: true, ...options })) as typeof Args.string;
