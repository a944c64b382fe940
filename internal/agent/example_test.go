package agent

import "testing"

// TestExampleConfig keeps examples/agent/agent.yaml valid and equal to the
// defaults it claims to show.
func TestExampleConfig(t *testing.T) {
	c, err := LoadConfig("../../examples/agent/agent.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c != DefaultConfig() {
		t.Errorf("example differs from the defaults:\n got %+v\nwant %+v", c, DefaultConfig())
	}
}
