import { PROTOCOL_VERSION } from '@cobalt/contract';
import { type CSSProperties, StrictMode, useCallback, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';

// Placeholder page until the real web app lands: proves the build, the static serving and the
// load balancer end to end by asking /health/live and showing which backend instance answered.

type Probe =
  | { state: 'loading' }
  | { state: 'ok'; instance: string; status: number; ms: number; body: string }
  | { state: 'error'; message: string };

async function probeLiveness(): Promise<Probe> {
  const started = performance.now();
  try {
    const res = await fetch('/health/live', { cache: 'no-store', headers: { accept: 'application/json' } });
    const body = await res.text();
    return {
      state: 'ok',
      instance: res.headers.get('x-instance-id') ?? 'unknown',
      status: res.status,
      ms: Math.round(performance.now() - started),
      body,
    };
  } catch (err) {
    return { state: 'error', message: err instanceof Error ? err.message : String(err) };
  }
}

function App() {
  const [probe, setProbe] = useState<Probe>({ state: 'loading' });
  const [seen, setSeen] = useState<string[]>([]);

  const ask = useCallback(async () => {
    setProbe({ state: 'loading' });
    const result = await probeLiveness();
    setProbe(result);
    if (result.state === 'ok') setSeen((prev) => (prev.includes(result.instance) ? prev : [...prev, result.instance].sort()));
  }, []);

  useEffect(() => {
    void ask();
  }, [ask]);

  return (
    <main style={styles.main}>
      <h1 style={styles.title}>Cobalt</h1>
      <p style={styles.subtitle}>Real-time todos, kept in sync across every instance.</p>

      <section style={styles.card} aria-live="polite">
        <h2 style={styles.cardTitle}>Backend</h2>
        {probe.state === 'loading' && <p>Asking /health/live…</p>}
        {probe.state === 'error' && <p style={styles.bad}>Unreachable: {probe.message}</p>}
        {probe.state === 'ok' && (
          <>
            <p>
              <span style={probe.status === 200 ? styles.good : styles.bad}>{probe.status === 200 ? 'Live' : `HTTP ${probe.status}`}</span>{' '}
              — answered by <strong data-testid="instance">{probe.instance}</strong> in {probe.ms} ms
            </p>
            <pre style={styles.pre}>{probe.body}</pre>
          </>
        )}
        <button type="button" style={styles.button} onClick={() => void ask()} disabled={probe.state === 'loading'}>
          Ask again
        </button>
        {seen.length > 0 && <p style={styles.muted}>Instances seen so far: {seen.join(', ')}</p>}
      </section>

      <footer style={styles.muted}>Protocol v{PROTOCOL_VERSION}</footer>
    </main>
  );
}

const styles = {
  main: { fontFamily: 'system-ui, sans-serif', maxWidth: 640, margin: '4rem auto', padding: '0 1.5rem', lineHeight: 1.5 },
  title: { fontSize: '2.5rem', margin: 0, color: '#0047ab' },
  subtitle: { marginTop: '0.25rem', opacity: 0.8 },
  card: { border: '1px solid #8884', borderRadius: 12, padding: '1rem 1.25rem', margin: '2rem 0' },
  cardTitle: { fontSize: '1.1rem', margin: '0 0 0.5rem' },
  pre: { background: '#8881', borderRadius: 8, padding: '0.75rem', overflowX: 'auto', fontSize: '0.85rem' },
  button: { font: 'inherit', padding: '0.4rem 1rem', borderRadius: 8, border: '1px solid #0047ab', background: '#0047ab', color: 'white', cursor: 'pointer' },
  good: { color: '#1a7f37', fontWeight: 600 },
  bad: { color: '#cf222e', fontWeight: 600 },
  muted: { opacity: 0.7, fontSize: '0.9rem' },
} satisfies Record<string, CSSProperties>;

const root = document.getElementById('root');
if (!root) throw new Error('#root element missing from index.html');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
