import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/app';
import './app/styles/global.css';
import { session } from './lib/session';

const root = document.getElementById('root');
if (!root) throw new Error('#root element missing from index.html');

// Trade the refresh cookie for a session while React renders the first frame.
void session.start();

createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
