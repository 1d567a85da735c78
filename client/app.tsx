/**
 * The app's top level: which screen shows follows from one state signal (client/state/app.ts):
 * starting, first run (welcome / join from an invite link), locked, or unlocked.
 * @module
 */
import { Welcome } from './views/welcome.tsx';

export function App() {
  return <Welcome />;
}
