package emulator

import "time"

// STUB: replaced by the endpoints implementation (models, endpoint configs,
// endpoints, UpdateEndpointWeightsAndCapacities).

type model struct{ name, arn string }

type endpointConfig struct{ name, arn string }

type endpoint struct{ name, arn string }

func sageMakerEndpointOps() map[string]handler { return map[string]handler{} }

func (st *sageMakerState) settleEndpoints(now time.Time) {}

// ModelScenario, EndpointConfigScenario, EndpointScenario: STUB.
type ModelScenario struct{}
type EndpointConfigScenario struct{}
type EndpointScenario struct{}

func loadEndpoints(r *Region, rs RegionScenario, now time.Time, path string) error { return nil }
