//go:build nonvml

package gpu

import "errors"

// With the nonvml build tag the binary does not link purego, and so stays
// fully static (purego's run-time loader makes the executable dynamically
// linked against the C library); GPUs are then read with nvidia-smi only.

type nvml struct{}

func loadNVML(name string) (*nvml, error) {
	return nil, errors.New("built without NVML (nonvml tag)")
}

func (n *nvml) read() ([]Device, error) { return nil, errors.New("built without NVML") }

func (n *nvml) close() {}
