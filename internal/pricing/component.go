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
	// HyperPodCluster is a node of a HyperPod cluster. Lookup never
	// estimates it from another component, nor another from it: HyperPod
	// node-hours are priced apart from training instances (several percent
	// higher where both are known), unlike the components above, which the
	// snapshot's README found within 0.33% of each other.
	HyperPodCluster Component = "hyperpod-cluster" // *-Cluster:ml.*
)

// components lists every component in display order.
var components = []Component{
	NotebookInstance, StudioNotebook, StudioJupyterLab, Training, TrainingWarmPool,
	Processing, Hosting, BatchTransform, AsyncInference, HyperPodCluster,
}

// ownPriceOnly are the components that Lookup prices with their own price
// or not at all (see HyperPodCluster).
var ownPriceOnly = []Component{HyperPodCluster}

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
	// StorageStudioSpace is a Studio space's EBS volume, billed as gp3
	// (*-Studio:VolumeUsage.gp3), not gp2: Storage never estimates it
	// from the gp2 kinds, nor them from it.
	StorageStudioSpace StorageKind = "studio-space"
)

// storageItems maps a storage kind to its item name in the storage CSV;
// gp2 kinds are each other's fallback, in this order.
var storageItems = []struct {
	kind StorageKind
	item string
	gp3  bool
}{
	{StorageNotebook, "ml-storage-notebook-instance", false},
	{StorageTraining, "ml-storage-training", false},
	{StorageHosting, "ml-storage-endpoint", false},
	{StorageTrainingWarmPool, "ml-storage-training-warm-pool", false},
	{StorageProcessing, "ml-storage-processing", false},
	{StorageStudioSpace, "ml-storage-studio-space", true},
}

// Service is a SageMaker feature billed per hour of use rather than per
// instance: a Canvas session, an MLflow tracking server of one size. Its
// price is a row of the storage CSV (item = the Service, unit Hrs).
type Service string

// The services.
const (
	CanvasSession Service = "canvas-session"                // *-Canvas:Session-Hrs
	MLflowSmall   Service = "mlflow-tracking-server-small"  // *-MLflow:TrackingServerCompute-Small
	MLflowMedium  Service = "mlflow-tracking-server-medium" // *-MLflow:TrackingServerCompute-Medium
	MLflowLarge   Service = "mlflow-tracking-server-large"  // *-MLflow:TrackingServerCompute-Large
)

// MLflowService is the Service of an MLflow tracking server of a size
// (Small, Medium or Large, as AWS spells TrackingServerSize).
func MLflowService(size string) (Service, bool) {
	switch size {
	case "Small":
		return MLflowSmall, true
	case "Medium":
		return MLflowMedium, true
	case "Large":
		return MLflowLarge, true
	}
	return "", false
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
