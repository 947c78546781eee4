// The replica lives in the SDK (@cobalt/client). This path stays while the fault suite's simulated
// devices import it from here.
export { TodoReplica } from '@cobalt/client';
