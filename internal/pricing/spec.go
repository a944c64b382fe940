package pricing

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Spec describes an ml.* instance type.
type Spec struct {
	InstanceType string  // ml.g5.xlarge
	EC2Type      string  // g5.xlarge
	Family       string  // g5
	VCPU         int     //
	MemoryGiB    float64 //
	Accelerator  Accelerator
	CPU          string // processor model, when known
	SpecSource   string // where vCPU and memory come from
	// NameEvidence says why the name is listed (see docs/pricing.md);
	// "family-expansion-unverified" alone means SageMaker may not offer it.
	NameEvidence []string
}

// Accelerator is the GPU or AWS chip of an instance type; Count is 0 when
// it has none.
type Accelerator struct {
	Kind      string  // gpu, inferentia or trainium
	Vendor    string  // NVIDIA, AWS
	Model     string  // A10G, Inferentia2, ...
	Count     int     //
	MemoryGiB float64 // total over all devices
}

// Accelerator kinds.
const (
	AcceleratorGPU        = "gpu"
	AcceleratorInferentia = "inferentia"
	AcceleratorTrainium   = "trainium"
)

// EvidenceUnverified marks a name listed only because its EC2 family has
// that size.
const EvidenceUnverified = "family-expansion-unverified"

// Accelerated reports whether the type has a GPU or an AWS ML chip.
func (s Spec) Accelerated() bool { return s.Accelerator.Count > 0 }

// GPUs returns the number of GPUs (0 for Inferentia and Trainium).
func (s Spec) GPUs() int {
	if s.Accelerator.Kind == AcceleratorGPU {
		return s.Accelerator.Count
	}
	return 0
}

// IsGPU reports whether the type has at least one GPU.
func (s Spec) IsGPU() bool { return s.GPUs() > 0 }

// Verified reports whether there is evidence beyond "its EC2 family has
// this size" that SageMaker offers the type.
func (s Spec) Verified() bool {
	for _, e := range s.NameEvidence {
		if e != EvidenceUnverified {
			return true
		}
	}
	return false
}

// familyOf returns "m5" for "ml.m5.xlarge".
func familyOf(instanceType string) string {
	parts := strings.Split(instanceType, ".")
	if len(parts) == 3 {
		return parts[1]
	}
	return ""
}

func readSpecs(name string, r io.Reader) (map[string]Spec, error) {
	f, err := newCSVFile(name, r, []string{"instance_type", "family", "vcpu", "memory_gib"})
	if err != nil {
		return nil, err
	}
	out := map[string]Spec{}
	err = f.each(func(get func(string) string, line int) error {
		var err error
		s := Spec{
			InstanceType: get("instance_type"),
			EC2Type:      get("ec2_type"),
			Family:       get("family"),
			CPU:          get("cpu"),
			SpecSource:   get("spec_source"),
			Accelerator: Accelerator{
				Kind:   get("accelerator_kind"),
				Vendor: get("accelerator_vendor"),
				Model:  get("accelerator_model"),
			},
		}
		if e := get("name_evidence"); e != "" {
			s.NameEvidence = strings.Split(e, ";")
		}
		ints := []struct {
			col string
			dst *int
		}{{"vcpu", &s.VCPU}, {"accelerator_count", &s.Accelerator.Count}}
		for _, c := range ints {
			if v := get(c.col); v != "" {
				if *c.dst, err = strconv.Atoi(v); err != nil {
					return fmt.Errorf("%s:%d: %s %q: %w", name, line, c.col, v, err)
				}
			}
		}
		floats := []struct {
			col string
			dst *float64
		}{{"memory_gib", &s.MemoryGiB}, {"accelerator_memory_gib_total", &s.Accelerator.MemoryGiB}}
		for _, c := range floats {
			if v := get(c.col); v != "" {
				if *c.dst, err = strconv.ParseFloat(v, 64); err != nil {
					return fmt.Errorf("%s:%d: %s %q: %w", name, line, c.col, v, err)
				}
			}
		}
		out[s.InstanceType] = s
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
