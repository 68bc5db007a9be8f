import { readFileSync } from 'node:fs';
import type { JournalEvent } from './journal.js';

export interface ReplayState {
  file: string;
  events: number;
  first_ts: string | null;
  last_ts: string | null;
  daemon: { started_at: string | null; stopped_at: string | null; stop_reason: string | null };
  sessions: { id: string; connected_at: string; removed_at: string | null; reason: string | null; role: string | null }[];
  /** Connections that never signed in and refused credentials, journaled as counts (issue 26). */
  preauth: { refused: number; closed: number };
  host: { agents: Record<string, unknown>[]; approvals: Record<string, unknown>[]; notifications: number };
  a2ui: { surfaces: { surfaceId: string; catalogId: string | null; components: number; revision: number }[]; actions: number };
  meetings: { id: string; title: string | null; status: string; stop_reason: string | null; segments: number }[];
  memory: { added: number; deleted: number; persisted: number; loaded: number };
  voice: { sessions: number; segments: number };
  inference: { calls: number; failed: number; tokens_in: number; tokens_out: number };
  problems: string[];
}

type Data = Record<string, any>;
type Reducer = (state: Folding, event: JournalEvent) => void;

interface Folding {
  out: ReplayState;
  sessions: Map<string, ReplayState['sessions'][number]>;
  agents: Map<string, Data>;
  approvals: Map<string, Data>;
  surfaces: Map<string, ReplayState['a2ui']['surfaces'][number] & { componentIds: Set<string> }>;
  meetings: Map<string, ReplayState['meetings'][number]>;
}

/** How each journal kind (docs/protocol.md#journal-kinds) changes the reconstructed state. Unknown kinds are counted and skipped. */
const reducers: Record<string, Reducer> = {
  daemon_started: ({ out }, e) => void (out.daemon.started_at = e.ts),
  daemon_stopped: ({ out }, e) => {
    out.daemon.stopped_at = e.ts;
    out.daemon.stop_reason = (e.data as Data).reason ?? null;
  },
  // Written when the session signs in; `connected_at` says when it connected.
  session_created: (f, e) =>
    void f.sessions.set(e.session_id!, { id: e.session_id!, connected_at: (e.data as Data).connected_at ?? e.ts, removed_at: null, reason: null, role: null }),
  session_authenticated: (f, e) => {
    const session = f.sessions.get(e.session_id!);
    if (session) session.role = (e.data as Data).role ?? null;
  },
  session_removed: (f, e) => {
    const session = f.sessions.get(e.session_id!);
    if (session) {
      session.removed_at = e.ts;
      session.reason = (e.data as Data).reason ?? null;
    }
  },
  preauth_closed: ({ out }, e) => {
    out.preauth.refused += Number((e.data as Data).refused) || 0;
    out.preauth.closed += Number((e.data as Data).closed) || 0;
  },
  journal_gap: ({ out }, e) =>
    void out.problems.push(
      `${Number((e.data as Data).dropped) || 0} event(s) before seq ${e.seq} were not written (${(e.data as Data).reason ?? 'writes failed'}); the journal says which kinds`,
    ),
  host_agent_registered: (f, e) => void f.agents.set((e.data as Data).id, { ...e.data }),
  host_agent_unregistered: (f, e) => void f.agents.delete((e.data as Data).agent_id),
  host_agent_status: (f, e) => {
    const data = e.data as Data;
    const agent = f.agents.get(data.agent_id);
    if (agent) Object.assign(agent, { status: data.status, current_task: data.current_task ?? null });
  },
  approval_requested: (f, e) => void f.approvals.set((e.data as Data).id, { ...e.data }),
  approval_resolved: (f, e) => void f.approvals.set((e.data as Data).id, { ...e.data }),
  approval_voted: (f, e) => void f.approvals.set((e.data as Data).id, { ...e.data }),
  host_notification: ({ out }) => void out.host.notifications++,
  inference_completed: ({ out }, e) => {
    const data = e.data as Data;
    out.inference.calls++;
    out.inference.tokens_in += Number(data.input_tokens) || 0;
    out.inference.tokens_out += Number(data.output_tokens) || 0;
  },
  inference_failed: ({ out }) => {
    out.inference.calls++;
    out.inference.failed++;
  },
  memory_fact_added: ({ out }) => void out.memory.added++,
  memory_fact_deleted: ({ out }) => void out.memory.deleted++,
  memory_persisted: ({ out }) => void out.memory.persisted++,
  memory_loaded: ({ out }) => void out.memory.loaded++,
  voice_session_started: ({ out }) => void out.voice.sessions++,
  voice_session_stopped: ({ out }, e) => void (out.voice.segments += Number((e.data as Data).segments) || 0),
  meeting_started: (f, e) => {
    const data = e.data as Data;
    f.meetings.set(data.meeting_id, { id: data.meeting_id, title: data.title ?? null, status: 'recording', stop_reason: null, segments: 0 });
  },
  meeting_stopped: (f, e) => {
    const data = e.data as Data;
    const meeting = f.meetings.get(data.meeting_id) ?? { id: data.meeting_id, title: null, status: 'stopped', stop_reason: null, segments: 0 };
    Object.assign(meeting, { status: data.status ?? 'stopped', stop_reason: data.stop_reason ?? null, segments: Number(data.segments) || 0 });
    f.meetings.set(data.meeting_id, meeting);
  },
  meeting_deleted: (f, e) => void f.meetings.delete((e.data as Data).meeting_id),
  a2ui_applied: (f, e) => applyEnvelope(f, (e.data as Data).envelope ?? {}),
  a2ui_deleted: (f, e) => void f.surfaces.delete((e.data as Data).surface_id),
  a2ui_reaped: (f, e) => {
    for (const id of ((e.data as Data).removed ?? []) as string[]) f.surfaces.delete(id);
  },
  a2ui_action: ({ out }) => void out.a2ui.actions++,
};

function applyEnvelope(f: Folding, envelope: Data): void {
  if (envelope.createSurface) {
    const { surfaceId, catalogId } = envelope.createSurface;
    f.surfaces.set(surfaceId, { surfaceId, catalogId: catalogId ?? null, components: 0, revision: 1, componentIds: new Set() });
    return;
  }
  if (envelope.deleteSurface) {
    f.surfaces.delete(envelope.deleteSurface.surfaceId);
    return;
  }
  const update = envelope.updateComponents ?? envelope.updateDataModel;
  const surface = update && f.surfaces.get(update.surfaceId);
  if (!surface) return;
  surface.revision++;
  for (const component of (envelope.updateComponents?.components ?? []) as Data[]) {
    // `component: null` is an A2UI v0.9 tombstone: the component is removed.
    if (component.component === null) surface.componentIds.delete(component.id);
    else surface.componentIds.add(component.id);
  }
  surface.components = surface.componentIds.size;
}

/** Folds a journal file into the state it describes (docs/protocol.md#journal). Never contacts a daemon. */
export function replayJournal(file: string): ReplayState {
  const text = readFileSync(file, 'utf8');
  const out: ReplayState = {
    file,
    events: 0,
    first_ts: null,
    last_ts: null,
    daemon: { started_at: null, stopped_at: null, stop_reason: null },
    sessions: [],
    preauth: { refused: 0, closed: 0 },
    host: { agents: [], approvals: [], notifications: 0 },
    a2ui: { surfaces: [], actions: 0 },
    meetings: [],
    memory: { added: 0, deleted: 0, persisted: 0, loaded: 0 },
    voice: { sessions: 0, segments: 0 },
    inference: { calls: 0, failed: 0, tokens_in: 0, tokens_out: 0 },
    problems: [],
  };
  const folding: Folding = { out, sessions: new Map(), agents: new Map(), approvals: new Map(), surfaces: new Map(), meetings: new Map() };
  const lines = text.split('\n');
  const endsCleanly = text.endsWith('\n') || text.length === 0;
  const unknownKinds = new Map<string, number>();

  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    let event: JournalEvent;
    try {
      event = JSON.parse(line) as JournalEvent;
      if (typeof event.kind !== 'string') throw new Error('no kind');
    } catch {
      const isTail = index === lines.length - 1 && !endsCleanly;
      out.problems.push(
        isTail ? `line ${index + 1}: final line is incomplete (the daemon stopped mid-write); ignored` : `line ${index + 1}: not a journal event; skipped`,
      );
      return;
    }
    out.events++;
    out.first_ts ??= event.ts;
    out.last_ts = event.ts;
    const reducer = reducers[event.kind];
    if (reducer) reducer(folding, event);
    else unknownKinds.set(event.kind, (unknownKinds.get(event.kind) ?? 0) + 1);
  });
  for (const [kind, count] of unknownKinds) out.problems.push(`${count} event(s) of unknown kind '${kind}' skipped`);

  out.sessions = [...folding.sessions.values()];
  out.host.agents = [...folding.agents.values()];
  out.host.approvals = [...folding.approvals.values()];
  out.a2ui.surfaces = [...folding.surfaces.values()].map(({ componentIds: _ids, ...surface }) => surface);
  out.meetings = [...folding.meetings.values()];
  return out;
}
