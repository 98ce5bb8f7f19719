/** Tiny inline icons (SVG elements, no style attributes: CSP-safe). */
import './icons.css';

export const SendIcon = () => (
  <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" class="icon">
    <path d="M3.4 20.4 21 12 3.4 3.6l.1 6.5L15 12 3.5 13.9z" fill="currentColor" />
  </svg>
);

export const StopIcon = () => (
  <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" class="icon">
    <rect x="6" y="6" width="12" height="12" rx="2" fill="currentColor" />
  </svg>
);

export const BackIcon = () => (
  <svg viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" class="icon">
    <path d="M15 5 8 12l7 7" fill="none" stroke="currentColor" stroke-width="2.4" stroke-linecap="round" stroke-linejoin="round" />
  </svg>
);

export const Logo = () => (
  <svg viewBox="0 0 100 100" width="36" height="36" aria-hidden="true" class="logo">
    <rect width="100" height="100" rx="22" class="logo-bg" />
    <g fill="none" stroke="#fff" stroke-width="6" stroke-linecap="round" stroke-linejoin="round" transform="translate(5 5) scale(.9)">
      <circle cx="30" cy="58" r="16" />
      <circle cx="70" cy="58" r="16" />
      <path d="M30 58H70M30 58L38 30H62L70 58" />
    </g>
  </svg>
);

export const ShieldIcon = () => (
  <svg viewBox="0 0 24 24" width="13" height="13" aria-hidden="true" class="icon">
    <path
      d="M12 3 4.5 6v5.5c0 4.6 3.2 8.3 7.5 9.5 4.3-1.2 7.5-4.9 7.5-9.5V6z"
      fill="none"
      stroke="currentColor"
      stroke-width="2.2"
      stroke-linejoin="round"
    />
  </svg>
);
