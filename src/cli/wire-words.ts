import type { Contract } from '../protocol/contract.js';

/**
 * How the CLI says each wire method. Daemon error messages are written for API users and
 * name methods ("list meetings with meeting.list"); the CLI shows them in its own words
 * ("list meetings with `car meeting ls`"). Typed over the whole contract, so a new method
 * does not compile until it has words here.
 */
export const CLI_WORDS: Record<keyof Contract, string> = {
  'session.auth': 'sign-in',
  'session.login_code': '`car ui`',
  'server.handshake': 'the handshake',
  'sessions.list': '`car sessions ls`',
  'daemon.status': '`car daemon status`',
  'daemon.shutdown': '`car daemon stop`',
  'rpc.discover': 'the contract (docs/protocol.md)',
  'memory.add_fact': '`car memory add`',
  'memory.query': '`car memory query`',
  'memory.fact_count': '`car memory count`',
  'memory.list': '`car memory ls`',
  'memory.delete': '`car memory rm`',
  'memory.build_context': 'building a context',
  'memory.persist': 'saving memory to a file',
  'memory.load': 'loading memory from a file',
  infer: '`car infer`',
  infer_stream: '`car infer --stream`',
  'inference.stream.cancel': 'Ctrl-C',
  embed: '`car embed`',
  'admission.status': '`car admission status`',
  'models.list': '`car models ls`',
  'models.pull': '`car models pull`',
  'models.delete': '`car models rm`',
  'models.add': '`car models add`',
  'host.subscribe': '`car host events --follow`',
  'host.unsubscribe': 'Ctrl-C',
  'host.agents': '`car host agents`',
  'host.events': '`car host events`',
  'host.approvals': '`car host approvals`',
  'host.register_agent': 'registering an agent',
  'host.unregister_agent': 'unregistering an agent',
  'host.set_status': "setting an agent's status",
  'host.notify': '`car host notify`',
  'host.request_approval': 'asking for approval',
  'host.resolve_approval': '`car host approve` / `car host deny`',
  'voice.transcribe_stream.start': '`car voice transcribe`',
  'voice.transcribe_stream.push': 'sending audio',
  'voice.transcribe_stream.stop': 'Ctrl-C in `car voice transcribe`',
  'voice.sessions.list': '`car voice sessions`',
  'voice.providers.list': '`car voice providers`',
  'voice.devices.list': '`car voice devices`',
  'meeting.start': '`car meeting start`',
  'meeting.stop': '`car meeting stop`',
  'meeting.list': '`car meeting ls`',
  'meeting.get': '`car meeting show`',
  'meeting.summarize': '`car meeting summarize`',
  'meeting.transcript': '`car meeting export`',
  'meeting.delete': '`car meeting rm`',
  'tools.register': 'registering tools',
  'tools.unregister': 'unregistering tools',
  'tools.list': '`car tools ls`',
  'a2ui.capabilities': 'the A2UI capabilities',
  'a2ui.apply': '`car surfaces apply`',
  'a2ui.ingest': '`car surfaces apply`',
  'a2ui.reap': 'removing stale surfaces',
  'a2ui.surfaces': '`car surfaces ls`',
  'a2ui.get': '`car surfaces show`',
  'a2ui.action': 'a surface action',
  'a2ui/subscribe': '`car surfaces watch`',
  'a2ui/unsubscribe': 'Ctrl-C',
  'a2ui/replay': '`car surfaces watch`',
};

/** Method names spelled as names (with a dot, slash or underscore), longest first so `a.b.c` wins over `a.b`; bare words such as `infer` stay English. */
const SPELLED = Object.keys(CLI_WORDS)
  .filter((name) => /[._/]/.test(name))
  .sort((a, b) => b.length - a.length)
  .map((name) => name.replace(/[.$/]/g, '\\$&'))
  .join('|');
/** A name in backticks, or standing alone (not part of a longer name or path such as `meeting.json`). */
const METHOD_NAME = new RegExp(`\`(${SPELLED})\`|(?<![\\w./])(${SPELLED})(?![\\w/]|\\.\\w)`, 'g');

/** A daemon message in the CLI's words: each method it names becomes the command (or the words) a CLI user knows. */
export const inCliWords = (message: string): string =>
  message.replace(METHOD_NAME, (_match, quoted: string | undefined, bare: string | undefined) => CLI_WORDS[(quoted ?? bare) as keyof Contract]);
