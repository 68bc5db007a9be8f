import type { HostApproval, HostEvent } from '../src/protocol/host.js';
import { MAX_HOST_EVENTS } from '../src/protocol/host.js';
import type { App } from './app.js';

/**
 * One `host.subscribe` for the page: the approvals and the event history, kept current by
 * `host.event`. Events at or below the snapshot's sequence are duplicates (docs/protocol.md#host-subscribe).
 */
export class HostFeed {
  readonly approvals = new Map<string, HostApproval>();
  events: HostEvent[] = [];
  private lastSequence = 0;

  constructor(private readonly app: App) {}

  async start(): Promise<void> {
    this.app.connection.on('host.event', (event) => this.receive(event));
    const snapshot = await this.app.connection.call('host.subscribe', {});
    for (const approval of snapshot.approvals) this.approvals.set(approval.id, approval);
    const live = this.events;
    this.events = [...snapshot.events, ...live.filter((event) => event.sequence > snapshot.event_sequence)];
    this.lastSequence = Math.max(snapshot.event_sequence, this.lastSequence);
    this.app.render();
  }

  private receive(event: HostEvent): void {
    if (event.sequence <= this.lastSequence) return;
    this.lastSequence = event.sequence;
    this.events.push(event);
    if (this.events.length > MAX_HOST_EVENTS) this.events.splice(0, this.events.length - MAX_HOST_EVENTS);
    const approval = (event.payload as { approval?: HostApproval } | null)?.approval;
    if (event.kind.startsWith('approval.') && approval) this.approvals.set(approval.id, approval);
    this.app.render();
  }
}
