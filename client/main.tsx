/**
 * Entry point: renders the app into #app and registers the service worker. Nothing else runs
 * at load time; the vault stays closed until the person unlocks it.
 * @module
 */
import { render } from 'preact';
import './styles.css';
import { App } from './app.tsx';
import { startUnreadIndicator } from './state/unread.ts';
import { registerServiceWorker } from './sw/register.ts';

const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(<App />, root);
}
registerServiceWorker();
startUnreadIndicator();
