import client from 'prom-client';

/** All Prometheus metrics of one backend instance, in one registry served at /metrics. */
export function createMetrics(instanceId: string) {
  const registry = new client.Registry();
  registry.setDefaultLabels({ instance_id: instanceId });
  // The event-loop lag histogram samples once a second (its default, every 10 ms, wakes an idle
  // process a hundred times a second: a third of its idle CPU). A lag worth alerting on lasts longer.
  client.collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 1000 });

  // Filled in at each scrape by the readiness probe (see setDependencyProbe): whether this
  // instance reaches each store. Load balancers do not route on it (one store outage hits every
  // instance alike), so this is what alerts on store outages.
  let dependencyProbe: (() => Promise<Record<string, boolean>>) | undefined;
  new client.Gauge({
    name: 'cobalt_dependency_up',
    help: 'Whether this instance reaches the dependency (1) or not (0), probed at scrape time',
    labelNames: ['dependency'] as const,
    registers: [registry],
    async collect() {
      if (!dependencyProbe) return;
      for (const [dependency, up] of Object.entries(await dependencyProbe())) this.set({ dependency }, up ? 1 : 0);
    },
  });

  return {
    registry,
    setDependencyProbe(probe: () => Promise<Record<string, boolean>>): void {
      dependencyProbe = probe;
    },
    httpRequestDuration: new client.Histogram({
      name: 'cobalt_http_request_duration_seconds',
      help: 'HTTP request duration, labelled by route template (never the raw path)',
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    graphqlOperations: new client.Counter({
      name: 'cobalt_graphql_operations_total',
      help: 'GraphQL operations by type, first root field and outcome',
      labelNames: ['operation_type', 'root_field', 'outcome'] as const,
      registers: [registry],
    }),
    graphqlWsConnections: new client.Gauge({
      name: 'cobalt_graphql_ws_connections',
      help: 'GraphQL WebSocket (graphql-transport-ws) connections currently authenticated on this instance',
      registers: [registry],
    }),
    graphqlSubscriptions: new client.Gauge({
      name: 'cobalt_graphql_subscriptions_active',
      help: 'GraphQL subscriptions currently running on this instance, by root field',
      labelNames: ['root_field'] as const,
      registers: [registry],
    }),
    graphqlSubscriptionEvents: new client.Counter({
      name: 'cobalt_graphql_subscription_events_total',
      help: 'Events sent to GraphQL subscribers, by root field',
      labelNames: ['root_field'] as const,
      registers: [registry],
    }),
    socketsConnected: new client.Gauge({
      name: 'cobalt_sockets_connected',
      help: 'Socket.IO connections currently open on this instance',
      registers: [registry],
    }),
    socketEvents: new client.Counter({
      name: 'cobalt_socket_events_total',
      help: 'Socket.IO client events handled, by event and outcome',
      labelNames: ['event', 'outcome'] as const,
      registers: [registry],
    }),
    broadcasts: new client.Counter({
      name: 'cobalt_realtime_broadcasts_total',
      help: 'Change events announced to user rooms (cluster-wide fan-out through the Redis adapter)',
      labelNames: ['event'] as const,
      registers: [registry],
    }),
    adapterErrors: new client.Counter({
      name: 'cobalt_realtime_adapter_errors_total',
      help: 'Errors raised by the Socket.IO Redis adapter or its Redis connections',
      registers: [registry],
    }),
    storeCommands: new client.Counter({
      name: 'cobalt_store_commands_total',
      help: 'Commands sent to MongoDB (round trips), by command and collection',
      labelNames: ['command', 'collection'] as const,
      registers: [registry],
    }),
    securityEvents: new client.Counter({
      name: 'cobalt_security_events_total',
      help: 'Security-relevant events (failed sign-ins, refresh token reuse, rate-limit hits, refused origins)',
      labelNames: ['type'] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
