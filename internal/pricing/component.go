package pricing

import (
	"fmt"
	"strings"
)

// Component is what an instance hour is billed as. The same instance type
// has a separate price (SKU) for each component it is offered for.
type Component string

// The components, named as in the price CSVs. The Price List usage type code
// of each is in its comment.
const (
	NotebookInstance Component = "notebook-instance"  // *-Notebk:ml.*
	StudioNotebook   Component = "studio-notebook"    // *-Studio:KernelGateway-ml.* (Studio Classic)
	StudioJupyterLab Component = "studio-jupyterlab"  // *-Studio:JupyterLab-ml.* (JupyterLab and Code Editor spaces)
	Training         Component = "training"           // *-Train:ml.*
	TrainingWarmPool Component = "training-warm-pool" // billed as "Training Warm Pool"
	Processing       Component = "processing"         // *-Processing:ml.*
	Hosting          Component = "hosting"            // *-Host:ml.* (real-time endpoints)
	BatchTransform   Component = "batch-transform"    // *-Tsform:ml.*
	AsyncInference   Component = "async-inference"    // *-AsyncInf:ml.*
)

// components lists every component in display order.
var components = []Component{
	NotebookInstance, StudioNotebook, StudioJupyterLab, Training, TrainingWarmPool,
	Processing, Hosting, BatchTransform, AsyncInference,
}

// fallbackOrder is where Lookup looks, in order, when a component has no
// price of its own. Studio first: source A prices Studio in every region,
// and the README's check found every other component within 0.33% of the
// Studio price of the same instance and region.
var fallbackOrder = []Component{
	StudioNotebook, StudioJupyterLab, NotebookInstance, Training, Processing,
	Hosting, BatchTransform, AsyncInference, TrainingWarmPool,
}

// Components returns every component in display order.
func Components() []Component { return append([]Component(nil), components...) }

// ParseComponent checks that s names a component.
func ParseComponent(s string) (Component, error) {
	for _, c := range components {
		if string(c) == s {
			return c, nil
		}
	}
	return "", fmt.Errorf("unknown component %q (want one of %s)", s, joinComponents())
}

func joinComponents() string {
	names := make([]string, len(components))
	for i, c := range components {
		names[i] = string(c)
	}
	return strings.Join(names, ", ")
}

// StorageKind is what an ML storage volume (gp2, GB-month) is attached to.
type StorageKind string

// The storage kinds.
const (
	StorageNotebook         StorageKind = "notebook"           // *-Notebk:VolumeUsage.gp2
	StorageTraining         StorageKind = "training"           // *-Train:VolumeUsage.gp2
	StorageTrainingWarmPool StorageKind = "training-warm-pool" // billed as Training Warm Pool ML storage
	StorageProcessing       StorageKind = "processing"         // *-Processing:VolumeUsage.gp2
	StorageHosting          StorageKind = "hosting"            // *-Host:VolumeUsage.gp2
)

// storageItems maps a storage kind to its item name in the storage CSV.
var storageItems = []struct {
	kind StorageKind
	item string
}{
	{StorageNotebook, "ml-storage-notebook-instance"},
	{StorageTraining, "ml-storage-training"},
	{StorageHosting, "ml-storage-endpoint"},
	{StorageTrainingWarmPool, "ml-storage-training-warm-pool"},
	{StorageProcessing, "ml-storage-processing"},
}

// Items of the storage CSV that are priced per GB of data, not GB-month.
const (
	itemDataIn  = "endpoint-data-processed-in"
	itemDataOut = "endpoint-data-processed-out"
)

// StorageKinds returns every storage kind; its order is also the fallback
// order of Storage (gp2 costs the same for notebooks, training and
// endpoints; processing volumes are cheaper, so they come last).
func StorageKinds() []StorageKind {
	out := make([]StorageKind, len(storageItems))
	for i, s := range storageItems {
		out[i] = s.kind
	}
	return out
}

// ParseStorageKind checks that s names a storage kind.
func ParseStorageKind(s string) (StorageKind, error) {
	for _, it := range storageItems {
		if string(it.kind) == s {
			return it.kind, nil
		}
	}
	return "", fmt.Errorf("unknown storage kind %q", s)
}

func storageItem(k StorageKind) string {
	for _, it := range storageItems {
		if it.kind == k {
			return it.item
		}
	}
	return ""
}
