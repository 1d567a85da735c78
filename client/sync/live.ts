/**
 * The live channel (docs/API.md `GET /v1/live`): a WebSocket that says "your mailbox has
 * something new". It carries no envelopes; on every notice, and once subscribed, the device
 * pulls (client/sync/receive.ts), so a missed notice costs nothing but latency.
 *
 * Reconnects with capped, jittered backoff; goes quiet while the browser says it is offline and
 * reconnects when it comes back. `onState` tells the UI whether the channel is up.
 * @module
 */
import { fromBase64url } from '../../shared/encoding.ts';
import { toBase64url } from '../../shared/encoding.ts';
import type { Identity } from '../../shared/keys.ts';
import { randomBytes } from '../../shared/provider.ts';
import { AUTH_HEADERS, signRequest } from '../../shared/request-auth.ts';

export type LiveState = 'connecting' | 'live' | 'offline';

export interface LiveOptions {
  readonly url: string;
  readonly identity: Identity;
  readonly mailboxId: Uint8Array;
  /** Something may be waiting: pull now. */
  readonly onNotice: () => void;
  readonly onState?: (state: LiveState) => void;
}

const MAX_BACKOFF_MS = 30_000;

export class LiveChannel {
  private socket: WebSocket | undefined;
  private stopped = false;
  private failures = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly online = (): void => this.reconnectNow();

  constructor(private readonly options: LiveOptions) {}

  start(): void {
    this.stopped = false;
    globalThis.addEventListener?.('online', this.online);
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    globalThis.removeEventListener?.('online', this.online);
    clearTimeout(this.timer);
    this.socket?.close(1000);
    this.socket = undefined;
  }

  /** Drop the current attempt's wait and connect at once (the network came back). */
  reconnectNow(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.failures = 0;
    if (!this.socket) this.connect();
  }

  private setState(s: LiveState): void {
    this.options.onState?.(s);
  }

  private connect(): void {
    if (this.stopped) return;
    this.setState('connecting');
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.options.url);
    } catch {
      this.retry();
      return;
    }
    this.socket = ws;
    ws.onmessage = (event) => void this.onFrame(ws, event.data);
    ws.onclose = () => {
      if (this.socket === ws) this.socket = undefined;
      this.setState('offline');
      this.retry();
    };
  }

  private retry(): void {
    if (this.stopped) return;
    const base = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(this.failures, 5));
    this.failures++;
    // Jitter from the CSPRNG: spreads reconnects after a relay restart.
    const jitter = (randomBytes(1)[0]! / 255) * base * 0.3;
    this.timer = setTimeout(() => this.connect(), base - jitter);
  }

  private async onFrame(ws: WebSocket, data: unknown): Promise<void> {
    if (typeof data !== 'string') return;
    let frame: { type?: unknown; nonce?: unknown };
    try {
      frame = JSON.parse(data) as typeof frame;
    } catch {
      return;
    }
    switch (frame.type) {
      case 'challenge': {
        if (typeof frame.nonce !== 'string') return;
        const challenge = fromBase64url(frame.nonce, 32);
        const h = await signRequest(this.options.identity, { method: 'GET', path: '/v1/live', body: challenge });
        ws.send(JSON.stringify({ type: 'auth', key: h[AUTH_HEADERS.key], time: h[AUTH_HEADERS.time], nonce: h[AUTH_HEADERS.nonce], signature: h[AUTH_HEADERS.signature] }));
        ws.send(JSON.stringify({ type: 'subscribe', mailboxIds: [toBase64url(this.options.mailboxId)] }));
        return;
      }
      case 'subscribed':
        this.failures = 0;
        this.setState('live');
        this.options.onNotice();
        return;
      case 'message':
        this.options.onNotice();
        return;
      default:
        return;
    }
  }
}
