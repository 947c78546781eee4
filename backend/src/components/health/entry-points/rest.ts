import { Router } from 'express';
import type { HealthChecks } from '../domain/health-checks.js';

export function createHealthRouter(health: HealthChecks, instanceId: string): Router {
  const router = Router();
  router.get('/health/live', (_req, res) => {
    res.json({ status: 'ok', instance: instanceId });
  });
  // What a load balancer routes on: this instance takes new work (it is not shutting down). A
  // store outage is shared by every instance, so it must not pull them all: they keep serving
  // what still works and answer the rest with 503 UNAVAILABLE (docs/RELIABILITY.md).
  router.get('/health/accepting', (_req, res) => {
    const accepting = health.accepting();
    res.status(accepting ? 200 : 503).json({ status: accepting ? 'ok' : 'draining', instance: instanceId });
  });
  // Operators and monitors: every dependency answers and the instance is not draining.
  router.get('/health/ready', async (_req, res) => {
    const { ready, checks } = await health.readiness();
    res.status(ready ? 200 : 503).json({ status: ready ? 'ok' : 'unavailable', instance: instanceId, checks });
  });
  return router;
}
