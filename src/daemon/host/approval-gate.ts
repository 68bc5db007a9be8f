import { ConfigError } from '../../errors.js';
import { ErrorCode, RpcError } from '../../protocol/errors.js';
import type { HostApproval } from '../../protocol/host.js';
import type { ApprovalGate, CallContext } from '../rpc/method-table.js';
import type { SystemApprovalFields } from './approval-table.js';
import { paramsPreview } from './params-preview.js';

/** What the gate needs of the host capability: raise a system approval and learn how it ends. */
export interface ApprovalDesk {
  raiseSystemApproval(fields: SystemApprovalFields, sessionId: string): HostApproval;
  whenSettled(approvalId: string, listener: (approval: HostApproval) => void): void;
  endApproval(approvalId: string, status: 'expired' | 'cancelled', sessionId: string | null): void;
}

export const DEFAULT_APPROVAL_TIMEOUT_MS = 60_000;

/** An action that is not a method call (a high-risk tool call) put before a human through the gate. */
export interface ApprovalRequest extends SystemApprovalFields {
  /** What the refusal names: `tool 'delete_file'`. */
  subject: string;
  /** The session the action runs for. */
  sessionId: string;
  /** Aborting cancels the approval. */
  signal: AbortSignal;
}

/** How an embedder (or `car daemon start --no-approvals`) configures gate 7 (docs/protocol.md#approval-gate). */
export interface ApprovalGateConfig {
  /** Defaults to on (the daemon turns it off for `--no-approvals` / `CAR_NO_APPROVALS=1`). */
  enabled?: boolean;
  /** How long a gated call waits for a decision; 60 s by default. */
  timeoutMs?: number;
  /** Methods that always need approval, beyond those whose method table opts in. */
  methods?: string[];
}

/**
 * Gate 7 (docs/protocol.md#approval-gate): a gated call raises a system approval (`client_id: null`), waits for any
 * session to resolve it, and runs only if approved. Deny and expiry answer `-32003`; a
 * caller that goes away cancels its approval.
 */
export class MethodApprovalGate implements ApprovalGate {
  readonly enabled: boolean;
  readonly timeoutMs: number;
  private readonly methods: ReadonlySet<string>;

  constructor(
    private readonly host: ApprovalDesk,
    config: ApprovalGateConfig = {},
  ) {
    const timeoutMs = config.timeoutMs ?? DEFAULT_APPROVAL_TIMEOUT_MS;
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
      throw new ConfigError(
        `approvalGate.timeoutMs must be a whole number of milliseconds (at least 1), got ${timeoutMs}`,
        'leave it out for the 60 s default',
      );
    }
    this.enabled = config.enabled ?? true;
    this.timeoutMs = timeoutMs;
    this.methods = new Set(config.methods ?? []);
  }

  covers(method: string): boolean {
    return this.methods.has(method);
  }

  awaitApproval(method: string, params: unknown, ctx: CallContext): Promise<void> {
    const { preview, truncated } = paramsPreview(params);
    return this.decide({
      subject: method,
      action: `ws.method:${method}`,
      description: `session ${ctx.session.id} called ${method}; it runs only if approved within ${this.seconds}s`,
      details: { method, session_id: ctx.session.id, params_preview: preview, params_truncated: truncated },
      sessionId: ctx.session.id,
      signal: ctx.signal,
    });
  }

  /** Raises a system approval and resolves once it is approved; rejects with `-32003` on deny, expiry or cancellation. */
  decide({ subject, sessionId, signal, ...fields }: ApprovalRequest): Promise<void> {
    const approval = this.host.raiseSystemApproval(fields, sessionId);
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => this.host.endApproval(approval.id, 'expired', null), this.timeoutMs);
      const cancel = () => this.host.endApproval(approval.id, 'cancelled', sessionId);
      this.host.whenSettled(approval.id, (settled) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', cancel);
        if (settled.status === 'approved') resolve();
        else reject(refusal(subject, settled, this.seconds));
      });
      if (signal.aborted) cancel();
      else signal.addEventListener('abort', cancel, { once: true });
    });
  }

  /** The wait before expiry, in whole seconds, as messages state it. */
  get seconds(): number {
    return Math.ceil(this.timeoutMs / 1000);
  }
}

function refusal(subject: string, approval: HostApproval, seconds: number): RpcError {
  const what = `approval '${approval.id}' for ${subject}`;
  const message =
    approval.status === 'denied'
      ? `${what} was denied, so the call did not run; ask whoever denied it, then retry`
      : approval.status === 'expired'
        ? `${what} expired: nobody approved it within ${seconds}s, so the call did not run; retry and approve the new request in time (car host approve <id>)`
        : `${what} was cancelled, so the call did not run; retry the call`;
  return new RpcError(ErrorCode.ApprovalDenied, message, { kind: `approval_${approval.status}`, approval_id: approval.id });
}
