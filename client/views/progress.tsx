/** A labelled progress bar (known fraction) for slow, visible work: key derivation, uploads. */
export function Progress({ label, fraction }: { label: string; fraction: number | undefined }) {
  const pct = fraction === undefined ? undefined : Math.round(Math.min(1, Math.max(0, fraction)) * 100);
  return (
    <div class="progress" role="status">
      <span>
        {label}
        {pct !== undefined ? ` (${pct}%)` : '…'}
      </span>
      <progress max={100} value={pct} aria-label={label} />
    </div>
  );
}
