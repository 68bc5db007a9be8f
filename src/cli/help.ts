import { Help } from '@oclif/core';

/** What a new user most likely wants first; shown under the root help's usage line. */
const ROOT_EXAMPLES = [
  ['start the daemon in the background', 'car daemon start'],
  ['remember a fact, then find it again', 'car memory add deploys "we deploy on Fridays" && car memory query deploy'],
  ['generate text with a local model', 'car infer "Once upon a time" --max-tokens 40'],
  ['transcribe a recording', 'car meeting start talk.wav --title standup'],
  ['help on one command', 'car help meeting start   (or: car meeting start -h)'],
];

/** oclif's help with an EXAMPLES section on the root page, like `gh help`. */
export default class CarHelp extends Help {
  override formatRoot(): string {
    const examples = ROOT_EXAMPLES.map(([what, command]) => `${what}\n  $ ${command}`).join('\n\n');
    return `${super.formatRoot()}\n\n${this.section('EXAMPLES', examples)}`;
  }
}
