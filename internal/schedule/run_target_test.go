package schedule

import "testing"

func TestGlobMatchesAcrossSlashes(t *testing.T) {
	tests := []struct {
		glob, name string
		want       bool
	}{
		{"*", "alice-lab/JupyterLab/default", true},
		{"alice-*", "alice-lab/JupyterLab/default", true},
		{"*/KernelGateway/*", "carol/KernelGateway/datascience-1a2b", true},
		{"*/KernelGateway/*", "carol/JupyterServer/default", false},
		{"dev-?", "dev-/", true},
		{"dev-*", "prod-x", false},
		{"dev-*", "dev-alice", true},
	}
	for _, tt := range tests {
		tg := Target{Kind: KindStudioApp, NameGlob: tt.glob}
		if _, msg := tg.compile(); msg != "" {
			t.Fatalf("%s: %s", tt.glob, msg)
		}
		if got := tg.Matches(KindStudioApp, tt.name, nil); got != tt.want {
			t.Errorf("glob %q on %q = %v, want %v", tt.glob, tt.name, got, tt.want)
		}
	}
}
