import { render } from 'solid-js/web';
// the tokens and the page frame, then the shared controls, come before every component's stylesheet
import './styles.css';
import './ui/controls.css';
import { App } from './App.tsx';
import { checkPush } from './features/session/push-store.ts';
import { startRouter } from './router.ts';

// Reads #t=<token> (and strips it from the address) before anything renders.
startRouter();
render(() => <App />, document.getElementById('app')!);

if (import.meta.env.PROD && 'serviceWorker' in navigator) {
  navigator.serviceWorker.register('/sw.js', { scope: '/' }).then(
    () => void checkPush(),
    (err: unknown) => console.warn('tandem: service worker registration failed', err),
  );
}
