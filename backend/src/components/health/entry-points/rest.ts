import { Router } from 'express';
import type { HealthChecks } from '../health-checks.js';

export function createHealthRouter(health: HealthChecks, instanceId: string): Router {
  const router = Router();
  router.get('/health/live', (_req, res) => {
    res.json({ status: 'ok', instance: instanceId });
  });
  router.get('/health/ready', async (_req, res) => {
    const { ready, checks } = await health.readiness();
    res.status(ready ? 200 : 503).json({ status: ready ? 'ok' : 'unavailable', instance: instanceId, checks });
  });
  return router;
}
