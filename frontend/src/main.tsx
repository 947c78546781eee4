import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/app';
import './app/styles/global.css';
import { session } from './lib/session';

const root = document.getElementById('root');
if (!root) throw new Error('#root element missing from index.html');

// Restore the kept session (and the last known todos) while React renders the first frame.
void session.start();

// The app shell for offline starts (frontend/service-worker.js); the development server has none.
if (import.meta.env.PROD && 'serviceWorker' in navigator) {
  window.addEventListener('load', () => {
    navigator.serviceWorker.register('/sw.js').catch((error: unknown) => console.warn('Service worker not registered:', error));
  });
}

createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
