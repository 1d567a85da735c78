/**
 * The live channel (docs/API.md `GET /v1/live`): a WebSocket that says "your mailbox has
 * something new". It carries no envelopes; on every notice, and once subscribed, the device
 * pulls (client/sync/receive.ts), so a missed notice costs nothing but latency.
 *
 * Reconnects with capped, jittered backoff, and at once when the network comes back or the page
 * is looked at again. Closed for "too many sockets" (`LIVE_CLOSE.too_many`, 4429: this
 * account's other tabs and devices took the places), it waits for one of those instead of
 * pushing another socket out. Every frame is checked against shared/live.ts's schemas; a bad
 * one is reported (`onError`) and ignored.
 * `onState` tells the UI whether the channel is up; pulling every 30 s (state/session.ts) covers a
 * tab without a socket.
 * @module
 */
import { LIVE_CHALLENGE_LEN } from '../../shared/consts.ts';
import { fromBase64url, toBase64url } from '../../shared/encoding.ts';
import { ConfidantError } from '../../shared/errors.ts';
import type { Identity } from '../../shared/keys.ts';
import { frameText, LIVE_CLOSE, LIVE_PATH, parseServerFrame, type ServerFrame } from '../../shared/live.ts';
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
  /**
   * A frame from the relay that failed shared/live.ts's schemas: ConfidantError `malformed` (not
   * JSON text) or `schema` (another shape, an unknown type included). The frame is ignored.
   */
  readonly onError?: (error: ConfidantError) => void;
  /** The WebSocket class (default: the browser's); Node tests pass `ws`'s. */
  readonly WebSocket?: new (url: string) => WebSocket;
}

const MAX_BACKOFF_MS = 30_000;

export class LiveChannel {
  private socket: WebSocket | undefined;
  private stopped = false;
  private failures = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly online = (): void => this.reconnectNow();
  private readonly visible = (): void => {
    if (document.visibilityState === 'visible') this.reconnectNow();
  };

  constructor(private readonly options: LiveOptions) {}

  start(): void {
    this.stopped = false;
    globalThis.addEventListener?.('online', this.online);
    globalThis.document?.addEventListener('visibilitychange', this.visible);
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    globalThis.removeEventListener?.('online', this.online);
    globalThis.document?.removeEventListener('visibilitychange', this.visible);
    clearTimeout(this.timer);
    this.timer = undefined;
    this.socket?.close(1000);
    this.socket = undefined;
  }

  /** True while a reconnect is scheduled (false when live, stopped, or waiting after 4429). */
  get retryPending(): boolean {
    return this.timer !== undefined;
  }

  /** Drop the current attempt's wait and connect at once (the network came back). */
  reconnectNow(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = undefined;
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
      ws = new (this.options.WebSocket ?? WebSocket)(this.options.url);
    } catch {
      this.retry();
      return;
    }
    this.socket = ws;
    ws.onmessage = (event) => this.onFrame(ws, event.data);
    ws.onclose = (event) => {
      if (this.socket === ws) this.socket = undefined;
      this.setState('offline');
      // Another tab or device took this socket's place (LIVE_CLOSE.too_many): reconnecting at
      // once would push that one out in turn, so wait until looked at again or back online.
      if (event.code === LIVE_CLOSE.too_many) return;
      this.retry();
    };
  }

  private retry(): void {
    if (this.stopped) return;
    const base = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(this.failures, 5));
    this.failures++;
    // Jitter from the CSPRNG: spreads reconnects after a relay restart.
    const jitter = (randomBytes(1)[0]! / 255) * base * 0.3;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.connect();
    }, base - jitter);
  }

  private onFrame(ws: WebSocket, data: unknown): void {
    let frame: ServerFrame;
    try {
      frame = parseServerFrame(data);
    } catch (e) {
      if (!ConfidantError.is(e)) throw e;
      this.options.onError?.(e);
      return;
    }
    switch (frame.type) {
      case 'challenge':
        this.authenticate(ws, fromBase64url(frame.nonce, LIVE_CHALLENGE_LEN)).catch(() => {
          // Could not sign (the identity was wiped): give this socket up; onclose schedules a retry.
          ws.close();
        });
        return;
      case 'subscribed':
        this.failures = 0;
        this.setState('live');
        this.options.onNotice();
        return;
      case 'message':
        this.options.onNotice();
        return;
      default:
        frame satisfies never;
    }
  }

  /** Answers the relay's challenge (shared/live.ts AuthFrame) and subscribes to our mailbox. */
  private async authenticate(ws: WebSocket, challenge: Uint8Array): Promise<void> {
    const h = await signRequest(this.options.identity, { method: 'GET', path: LIVE_PATH, body: challenge });
    ws.send(frameText({ type: 'auth', key: h[AUTH_HEADERS.key], time: h[AUTH_HEADERS.time], nonce: h[AUTH_HEADERS.nonce], signature: h[AUTH_HEADERS.signature] }));
    ws.send(frameText({ type: 'subscribe', mailboxIds: [toBase64url(this.options.mailboxId)] }));
  }
}
