import { Show, createEffect, createSignal } from 'solid-js';
import { makeQr, type QrPath } from '../lib/qr.ts';
import './QrCode.css';

/** A QR code for `text`, drawn as one SVG path; the encoder loads on first use. */
export function QrCode(props: { text: string; label: string }) {
  const [qr, setQr] = createSignal<QrPath | null>(null);
  const [failed, setFailed] = createSignal(false);
  createEffect(() => {
    const text = props.text;
    setQr(null);
    makeQr(text).then(
      (q) => text === props.text && setQr(q),
      () => setFailed(true),
    );
  });
  return (
    <div class="qr" data-testid="share-qr" data-ready={String(qr() !== null)}>
      <Show when={qr()} fallback={<span class="muted small">{failed() ? 'Could not draw the QR code.' : 'Drawing the QR code…'}</span>}>
        {(q) => (
          <svg viewBox={`0 0 ${q().size} ${q().size}`} role="img" aria-label={props.label} shape-rendering="crispEdges">
            <rect width={q().size} height={q().size} fill="#fff" />
            <path d={q().d} fill="#000" />
          </svg>
        )}
      </Show>
    </div>
  );
}
