import { Match, Switch, createMemo } from 'solid-js';
import { Home } from './features/inbox/Home.tsx';
import { NotFound } from './features/session/Pages.tsx';
import { SessionGate } from './features/session/SessionPage.tsx';
import { Toasts } from './ui/Toasts.tsx';
import { route } from './router.ts';

export function App() {
  const sessionId = createMemo(() => {
    const r = route();
    return r.name === 'session' ? r.sessionId : null;
  });
  return (
    <>
      <Switch>
        <Match when={route().name === 'home'}>
          <Home />
        </Match>
        <Match when={sessionId()} keyed>
          {(id) => <SessionGate sessionId={id} />}
        </Match>
        <Match when={route().name === 'not-found'}>
          <NotFound />
        </Match>
      </Switch>
      <Toasts />
    </>
  );
}
