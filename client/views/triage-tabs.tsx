/**
 * The inbox's filters as a tab list with counts (WAI-ARIA Authoring Practices, "Tabs" with
 * automatic activation): one tab in the Tab order, arrow keys / Home / End move between them
 * and show that filter at once; the list below is the tab panel.
 * @module
 */
import { useRef } from 'preact/hooks';
import type { TriageFilter } from '../triage/status.ts';

export const FILTERS: readonly { readonly id: TriageFilter; readonly name: string }[] = [
  { id: 'inbox', name: 'Inbox' },
  { id: 'needs-reply', name: 'Needs reply' },
  { id: 'urgent', name: 'Urgent' },
  { id: 'snoozed', name: 'Snoozed' },
  { id: 'done', name: 'Done' },
  { id: 'all', name: 'All' },
];

export const tabId = (f: TriageFilter): string => `filter-${f}`;
export const PANEL_ID = 'inbox-panel';

export function TriageTabs({ current, counts, onChange }: { current: TriageFilter; counts: Readonly<Record<TriageFilter, number>>; onChange: (f: TriageFilter) => void }) {
  const list = useRef<HTMLDivElement>(null);
  const move = (e: KeyboardEvent) => {
    const i = FILTERS.findIndex((f) => f.id === current);
    const next =
      e.key === 'ArrowRight' ? (i + 1) % FILTERS.length : e.key === 'ArrowLeft' ? (i - 1 + FILTERS.length) % FILTERS.length : e.key === 'Home' ? 0 : e.key === 'End' ? FILTERS.length - 1 : -1;
    if (next < 0) return;
    e.preventDefault();
    const f = FILTERS[next]!.id;
    onChange(f);
    list.current?.querySelector<HTMLElement>(`#${tabId(f)}`)?.focus();
  };
  return (
    <div class="triage-tabs" role="tablist" aria-label="Show conversations" ref={list} onKeyDown={move}>
      {FILTERS.map((f) => {
        const selected = f.id === current;
        return (
          <button
            key={f.id}
            type="button"
            role="tab"
            id={tabId(f.id)}
            aria-selected={selected}
            aria-controls={PANEL_ID}
            tabIndex={selected ? 0 : -1}
            class={f.id === 'urgent' && counts.urgent > 0 ? 'urgent-tab' : undefined}
            onClick={() => onChange(f.id)}
          >
            {f.name} <span class="count">{counts[f.id]}</span>
          </button>
        );
      })}
    </div>
  );
}
