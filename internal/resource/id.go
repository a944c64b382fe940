package resource

import (
	"database/sql/driver"
	"fmt"
	"slices"
	"strings"
)

// ID identifies a resource across runs and commands: the key of every
// claim, savings period, idle streak, mark and schedule memory in the
// store, so that the executor (apply, restore) and the scheduler see one
// resource as one.
//
// ARNs are not IDs: AWS lower-cases the name in a SageMaker ARN, so an ARN
// and a name-built key of "Dev-Bob" never match.
//
// Variant is set only for a production variant of an endpoint or an
// instance group of a HyperPod cluster, where a scan line must be told
// from its siblings (Resource.LineID). Everything that acts, claims or
// saves works on the whole endpoint or cluster (Resource.ID), whose
// Variant is empty: deleting an endpoint deletes every variant, and one
// variant must not be claimed while another run deletes the endpoint.
type ID struct {
	Account string
	Region  string
	Kind    Kind
	Name    string
	Variant string
}

// String is the canonical form, the only one stored:
//
//	ACCOUNT/REGION/KIND/NAME[/VARIANT]
//
// NAME may itself hold slashes (a Studio app is OWNER/TYPE/NAME); only an
// endpoint's or a HyperPod cluster's ID can carry a VARIANT (a production
// variant, an instance group), and their names never hold one.
func (id ID) String() string {
	s := id.Account + "/" + id.Region + "/" + string(id.Kind) + "/" + id.Name
	if id.Variant != "" {
		s += "/" + id.Variant
	}
	return s
}

// Whole is the ID without its variant: the endpoint a variant belongs to.
func (id ID) Whole() ID {
	id.Variant = ""
	return id
}

// IsZero reports whether id is the zero ID.
func (id ID) IsZero() bool { return id == ID{} }

// ParseID reads the canonical form written by String.
func ParseID(s string) (ID, error) {
	parts := strings.SplitN(s, "/", 4)
	if len(parts) != 4 || parts[0] == "" || parts[1] == "" || parts[2] == "" || parts[3] == "" {
		return ID{}, fmt.Errorf("resource id %q: want ACCOUNT/REGION/KIND/NAME", s)
	}
	id := ID{Account: parts[0], Region: parts[1], Kind: Kind(parts[2]), Name: parts[3]}
	if !id.Kind.known() {
		return ID{}, fmt.Errorf("resource id %q: unknown kind %q", s, parts[2])
	}
	if id.Kind.hasVariants() {
		if name, variant, ok := strings.Cut(id.Name, "/"); ok {
			if name == "" || variant == "" || strings.Contains(variant, "/") {
				return ID{}, fmt.Errorf("resource id %q: want ACCOUNT/REGION/%s/NAME[/VARIANT]", s, id.Kind)
			}
			id.Name, id.Variant = name, variant
		}
	} else if id.Kind == Target && id.Name != targetName {
		return ID{}, fmt.Errorf("resource id %q: want ACCOUNT/REGION/target/%s", s, targetName)
	} else if strings.HasSuffix(id.Name, "/") || strings.Contains(id.Name, "//") {
		return ID{}, fmt.Errorf("resource id %q: empty name part", s)
	}
	return id, nil
}

// Kinds lists every kind of resource a scan inventories. Target is not
// one of them: it is not a resource.
var Kinds = []Kind{NotebookInstance, Endpoint, InferenceComponent, StudioDomain, StudioSpace, StudioApp,
	TrainingJob, TuningJob, ProcessingJob, TransformJob, CanvasApp, MLflowTrackingServer, HyperPodCluster, SpaceStorage}

func (k Kind) known() bool { return k == Target || slices.Contains(Kinds, k) }

// Target is the kind of a TargetID: one account and region that a tick
// works on, claimed in the store like a resource so that two hosts
// ticking at once never work on one target together. It is not in Kinds,
// so scans, policies and reports never meet it.
const Target Kind = "target"

// targetName is the Name of every TargetID (ParseID requires a name).
const targetName = "all"

// TargetID is the ID under which a tick leases the target account x
// region (store.Claim): ACCOUNT/REGION/target/all.
func TargetID(account, region string) ID {
	return ID{Account: account, Region: region, Kind: Target, Name: targetName}
}

// hasVariants reports whether a kind lists one scan line per part of the
// resource: an endpoint per production variant, a HyperPod cluster per
// instance group.
func (k Kind) hasVariants() bool { return k == Endpoint || k == HyperPodCluster }

// ID is the resource's identity for everything that acts on it: an
// endpoint variant maps to its endpoint (Variant empty).
func (r *Resource) ID() ID {
	return ID{Account: r.Account, Region: r.Region, Kind: r.Kind, Name: r.Name}
}

// LineID tells the resource from every other in a scan: an endpoint
// variant and a HyperPod instance group keep their Variant.
func (r *Resource) LineID() ID {
	id := r.ID()
	if r.Kind.hasVariants() {
		id.Variant = r.Variant
	}
	return id
}

// Scan reads an ID stored in its canonical form (database/sql.Scanner).
func (id *ID) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return fmt.Errorf("resource id: cannot scan %T", src)
	}
	p, err := ParseID(s)
	if err != nil {
		return err
	}
	*id = p
	return nil
}

// Value stores an ID in its canonical form (database/sql/driver.Valuer).
func (id ID) Value() (driver.Value, error) { return id.String(), nil }
