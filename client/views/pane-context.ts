/**
 * Which pane a view renders in (client/views/panes.tsx): 'list' (the inbox beside a
 * conversation), 'detail' (the conversation beside the inbox), or undefined when it has the
 * screen to itself. Its own file so the top bar can read it without importing the panes.
 * @module
 */
import { createContext } from 'preact';

export const Pane = createContext<'list' | 'detail' | undefined>(undefined);
