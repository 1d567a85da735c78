/**
 * A QR code drawn as one SVG path from the `qrcode` library's module matrix: no HTML strings,
 * no canvas, crisp at any size, readable in dark mode (always dark on a white quiet zone). The
 * library loads on first use, so it is not part of the first screen's JavaScript.
 * @module
 */
import { useEffect, useState } from 'preact/hooks';

const QUIET = 4;

async function qrPath(text: string): Promise<{ size: number; d: string }> {
  const { create } = await import('qrcode');
  const { modules } = create(text, { errorCorrectionLevel: 'M' });
  const n = modules.size;
  let d = '';
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) if (modules.get(y, x)) d += `M${x + QUIET} ${y + QUIET}h1v1h-1z`;
  }
  return { size: n + 2 * QUIET, d };
}

export function QrCode({ text, label }: { text: string; label: string }) {
  const [drawn, setDrawn] = useState<{ size: number; d: string } | undefined>();
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let live = true;
    qrPath(text).then(
      (p) => live && setDrawn(p),
      (e: unknown) => {
        console.warn('confidant: QR code failed', e instanceof Error ? e.message : e);
        if (live) setFailed(true);
      },
    );
    return () => {
      live = false;
    };
  }, [text]);
  if (failed) return <p class="error">The QR code could not be drawn; use the link instead.</p>;
  if (!drawn) return <p class="muted">Drawing the QR code…</p>;
  return (
    <svg class="qr" viewBox={`0 0 ${drawn.size} ${drawn.size}`} role="img" aria-label={label} shape-rendering="crispEdges">
      <rect width={drawn.size} height={drawn.size} fill="#fff" />
      <path d={drawn.d} fill="#000" />
    </svg>
  );
}
