import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_ROOT } from './protocol.js';

/**
 * `node dist/scripts/docs/section-refs.js [--json]`: every `§` reference to the old
 * ../shared/spec/PROTOCOL.md in the sources, with the docs/protocol.md anchor (or other
 * project document) that replaces it. The rule: a section maps to the anchor of the part of
 * the generated page that now says it (a method's own anchor where the section is about one
 * method); a §23 row maps by its title. Lines are only listed, never rewritten.
 */

const P = 'docs/protocol.md#';

export const SECTION_ANCHORS: Record<string, string> = {
  '1': 'docs/architecture.md#the-composition-root',
  '1.1': 'docs/architecture.md#the-composition-root',
  '2': `${P}transport`,
  '2.1': `${P}transport`,
  '2.2': `${P}message-kinds`,
  '2.3': `${P}server-requests`,
  '2.4': `${P}liveness-and-close-codes`,
  '3': `${P}errors`,
  '3.1': `${P}errors`,
  '3.2': `${P}errors`,
  '3.3': `${P}handler-deadline`,
  '4': `${P}connection-lifecycle`,
  '4.1': `${P}connection-lifecycle`,
  '4.2': `${P}gates`,
  '4.3': `${P}teardown`,
  '5': `${P}authentication`,
  '5.1': `${P}authentication`,
  '5.2': `${P}tokens`,
  '5.3': `${P}signing-in`,
  '6': `${P}server-handshake`,
  '7': `${P}files-on-disk`,
  '7.1': `${P}state-root`,
  '7.2': `${P}state-root`,
  '7.3': `${P}state-root`,
  '7.4': `${P}state-root`,
  '8': `${P}method-index`,
  '9': `${P}namespace-core`,
  '9.1': `${P}type-sessioninfo`,
  '9.2': `${P}sessions-list`,
  '9.3': `${P}daemon-status`,
  '10': `${P}journal`,
  '10.1': `${P}journal`,
  '10.2': `${P}journal`,
  '11': `${P}namespace-inference`,
  '11.1': `${P}infer`,
  '11.2': `${P}admission-status`,
  '11.3': `${P}infer`,
  '11.4': `${P}infer_stream`,
  '11.5': `${P}embed`,
  '12': `${P}namespace-host`,
  '12.1': `${P}type-hostagent`,
  '12.2': `${P}host-subscribe`,
  '12.3': `${P}namespace-host`,
  '12.4': `${P}signing-in`,
  '13': `${P}approval-gate`,
  '14': `${P}namespace-memory`,
  '14.1': `${P}namespace-memory`,
  '14.2': `${P}type-memoryfact`,
  '14.3': `${P}namespace-memory`,
  '14.4': `${P}memory-build_context`,
  '14.5': `${P}memory-persist`,
  '14.6': `${P}meeting-start`,
  '15': `${P}namespace-voice`,
  '15.1': `${P}namespace-voice`,
  '15.2': `${P}voice-transcribe_stream-start`,
  '15.3': `${P}voice-transcribe_stream-push`,
  '15.4': `${P}voice-transcribe_stream-stop`,
  '15.5': `${P}voice-event`,
  '15.6': `${P}binary-frames`,
  '15.7': `${P}voice-sessions-list`,
  '16': `${P}namespace-meeting`,
  '16.1': `${P}namespace-meeting`,
  '16.2': `${P}namespace-meeting`,
  '16.3': `${P}meeting-start`,
  '16.4': `${P}meetings`,
  '16.5': `${P}meeting-summarize`,
  '16.6': `${P}meetings`,
  '17': `${P}namespace-a2ui`,
  '17.1': `${P}namespace-a2ui`,
  '17.2': `${P}a2ui-apply`,
  '17.3': `${P}a2ui-capabilities`,
  '17.4': `${P}type-a2uilimits`,
  '17.5': `${P}type-a2uisurface`,
  '17.6': `${P}namespace-a2ui`,
  '17.7': `${P}a2ui-ingest`,
  '17.8': `${P}a2ui-action`,
  '17.9': `${P}a2ui-ingest`,
  '17.10': `${P}a2ui-event`,
  '18': 'README.md',
  '18.1': 'README.md',
  '18.2': 'README.md',
  '19': 'src/config/environment.ts',
  '20': `${P}authentication`,
  '21': 'docs/decisions.md',
  '22': 'docs/decisions.md',
  '23': 'docs/decisions.md',
};

/** §23 is a table of additions: its rows map by title. */
export const ADDITION_ANCHORS: Record<string, string> = {
  Cancellation: `${P}cancellation`,
  Nesting: `${P}message-kinds`,
  'Request ids': `${P}message-kinds`,
  Connections: `${P}connection-limits`,
  Logging: 'docs/decisions.md',
  HTTP: `${P}transport`,
  'Browser sign-in': `${P}session-login_code`,
  'Speech providers': `${P}voice-providers-list`,
  'Meeting summary': `${P}meeting-summarize`,
  'Meeting export and removal': `${P}meeting-transcript`,
  Models: `${P}models-pull`,
  Memory: `${P}memory-list`,
  'Sessions listing': `${P}sessions-list`,
  'A2UI ownership': `${P}a2ui-apply`,
};

export interface SectionRef {
  file: string;
  line: number;
  ref: string;
  anchor: string | null;
}

const REF = /§(\d+(?:\.\d+)?)(?:\s+"([^"]+)"|\s+([A-Z][A-Za-z0-9]*(?: [a-z][a-z-]*)?))?/g;
const SOURCE_DIRS = ['src', 'test', 'bench', 'chaos', 'web', 'scripts'];

/** The suggested replacement for one reference (`§23 "Browser sign-in"`, `§15.6`). */
export function anchorFor(section: string, title?: string): string | null {
  if (section === '23' && title) {
    const row = Object.keys(ADDITION_ANCHORS).find((name) => title === name || title.startsWith(name));
    if (row) return ADDITION_ANCHORS[row]!;
  }
  return SECTION_ANCHORS[section] ?? null;
}

export function sectionRefs(root = REPO_ROOT): SectionRef[] {
  const refs: SectionRef[] = [];
  const visit = (path: string) => {
    for (const name of readdirSync(path)) {
      const child = join(path, name);
      if (statSync(child).isDirectory()) {
        if (name !== 'node_modules') visit(child);
      } else if (/\.(ts|mjs|js)$/.test(name) && !child.endsWith('section-refs.ts')) {
        readFileSync(child, 'utf8')
          .split('\n')
          .forEach((text, index) => {
            for (const match of text.matchAll(REF)) {
              const title = match[2] ?? match[3];
              refs.push({ file: relative(root, child), line: index + 1, ref: match[0], anchor: anchorFor(match[1]!, title) });
            }
          });
      }
    }
  };
  for (const dir of SOURCE_DIRS) visit(join(root, dir));
  return refs;
}

if (process.argv[1] && process.argv[1].endsWith('section-refs.js')) {
  const refs = sectionRefs();
  if (process.argv.includes('--json')) console.log(JSON.stringify(refs, null, 2));
  else for (const ref of refs) console.log(`${ref.file}:${ref.line}\t${ref.ref}\t→ ${ref.anchor ?? '(no mapping)'}`);
  console.error(`${refs.length} references in ${new Set(refs.map((ref) => ref.file)).size} files; ${refs.filter((ref) => !ref.anchor).length} without a mapping`);
}
