/**
 * A component whose module loads on its first render. Solid's `lazy` would do, but it brings
 * resources and Suspense into the first load; this needs only a signal.
 */
import { createComponent, createMemo, createSignal, type Component, type JSX } from 'solid-js';

export function later<P extends object>(load: () => Promise<Component<P>>, onError?: (err: unknown) => void): Component<P> {
  const [loaded, setLoaded] = createSignal<Component<P> | null>(null);
  let loading = false;
  return (props: P) => {
    if (!loaded() && !loading) {
      loading = true;
      load().then(
        (c) => setLoaded(() => c),
        (err: unknown) => {
          loading = false; // the next render tries again
          onError?.(err);
        },
      );
    }
    const view = createMemo(() => {
      const C = loaded();
      return C ? createComponent(C, props) : null;
    });
    return view as unknown as JSX.Element;
  };
}
