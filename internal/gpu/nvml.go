//go:build !nonvml

package gpu

import (
	"fmt"

	"github.com/ebitengine/purego"
)

// nvml holds the few NVML entry points we call, bound at run time. The
// signatures are from nvml.h (NVML API version 11+); every call returns an
// nvmlReturn_t, 0 meaning success.
type nvml struct {
	lib        uintptr
	shutdown   func() int32
	count      func(*uint32) int32
	handle     func(uint32, *uintptr) int32
	utilRates  func(uintptr, *nvmlUtilization) int32
	memoryInfo func(uintptr, *nvmlMemory) int32
}

// nvmlUtilization is nvmlUtilization_t.
type nvmlUtilization struct {
	GPU    uint32
	Memory uint32
}

// nvmlMemory is nvmlMemory_t (bytes).
type nvmlMemory struct {
	Total uint64
	Free  uint64
	Used  uint64
}

// nvmlErrorNotSupported is NVML_ERROR_NOT_SUPPORTED: the device cannot
// report that value (e.g. utilization on some MIG configurations).
const nvmlErrorNotSupported = 3

func loadNVML(name string) (n *nvml, err error) {
	lib, err := purego.Dlopen(name, purego.RTLD_NOW|purego.RTLD_GLOBAL)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", name, err)
	}
	n = &nvml{lib: lib}
	defer func() {
		if err != nil {
			_ = purego.Dlclose(lib)
		}
	}()
	var initFn func() int32
	binds := []struct {
		fptr any
		sym  string
	}{
		{&initFn, "nvmlInit_v2"},
		{&n.shutdown, "nvmlShutdown"},
		{&n.count, "nvmlDeviceGetCount_v2"},
		{&n.handle, "nvmlDeviceGetHandleByIndex_v2"},
		{&n.utilRates, "nvmlDeviceGetUtilizationRates"},
		{&n.memoryInfo, "nvmlDeviceGetMemoryInfo"},
	}
	for _, b := range binds {
		sym, err := purego.Dlsym(lib, b.sym)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		purego.RegisterFunc(b.fptr, sym)
	}
	if rc := initFn(); rc != 0 {
		return nil, fmt.Errorf("%s: nvmlInit_v2 returned %d", name, rc)
	}
	return n, nil
}

func (n *nvml) read() ([]Device, error) {
	var count uint32
	if rc := n.count(&count); rc != 0 {
		return nil, fmt.Errorf("nvml: nvmlDeviceGetCount_v2 returned %d", rc)
	}
	devs := make([]Device, 0, count)
	for i := range count {
		var h uintptr
		if rc := n.handle(i, &h); rc != 0 {
			return nil, fmt.Errorf("nvml: nvmlDeviceGetHandleByIndex_v2(%d) returned %d", i, rc)
		}
		d := Device{Index: int(i)}
		var u nvmlUtilization
		switch rc := n.utilRates(h, &u); rc {
		case 0:
			d.Utilization = int(u.GPU)
		case nvmlErrorNotSupported:
		default:
			return nil, fmt.Errorf("nvml: nvmlDeviceGetUtilizationRates(%d) returned %d", i, rc)
		}
		var m nvmlMemory
		if rc := n.memoryInfo(h, &m); rc == 0 {
			d.MemoryUsed, d.MemoryTotal = m.Used>>20, m.Total>>20
		}
		devs = append(devs, d)
	}
	return devs, nil
}

func (n *nvml) close() {
	n.shutdown()
	_ = purego.Dlclose(n.lib)
}
