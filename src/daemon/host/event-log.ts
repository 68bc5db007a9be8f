import { MAX_HOST_EVENTS, type HostEvent } from '../../protocol/host.js';
import { randomHex } from '../ids.js';

export interface EventFields {
  agent_id?: string | null;
  message?: string | null;
  payload?: unknown;
  /**
   * What the history keeps instead of `payload`, for events whose payload is large and
   * readable elsewhere (a whole A2UI surface): live subscribers get `payload`, while the
   * ring, `host.events` and the subscribe snapshot get this.
   */
  retainedPayload?: unknown;
}

/**
 * The host event history (docs/protocol.md#type-hostevent): one strictly increasing sequence per daemon run and a
 * ring of the last 500 events, so memory stays bounded however long the daemon runs.
 */
export class EventLog {
  private readonly ring: (HostEvent | undefined)[] = new Array(MAX_HOST_EVENTS);
  private sequence = 0;

  /** The highest sequence handed out so far (0 before the first event). */
  get lastSequence(): number {
    return this.sequence;
  }

  /** Records the event with its retained payload and returns it as sent live, with the full payload. */
  append(kind: string, fields: EventFields): HostEvent {
    const sequence = ++this.sequence;
    const event: HostEvent = {
      id: `event-${randomHex(6)}`,
      sequence,
      timestamp: new Date().toISOString(),
      kind,
      agent_id: fields.agent_id ?? null,
      message: fields.message ?? null,
      payload: fields.payload ?? null,
    };
    this.ring[sequence % MAX_HOST_EVENTS] = 'retainedPayload' in fields ? { ...event, payload: fields.retainedPayload ?? null } : event;
    return event;
  }

  /** The last `limit` events, oldest first. */
  latest(limit: number): HostEvent[] {
    const count = Math.min(limit, this.sequence, MAX_HOST_EVENTS);
    const events: HostEvent[] = [];
    for (let sequence = this.sequence - count + 1; sequence <= this.sequence; sequence++) events.push(this.ring[sequence % MAX_HOST_EVENTS]!);
    return events;
  }
}
