package agent

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// Resource is what the agent runs on, from SageMaker's resource metadata
// file. On a notebook instance it holds ResourceArn and ResourceName; in a
// Studio app it also holds DomainId, the space or user profile and the app
// type.
type Resource struct {
	ARN             string `json:"ResourceArn"`
	Name            string `json:"ResourceName"`
	DomainID        string `json:"DomainId,omitempty"`
	UserProfileName string `json:"UserProfileName,omitempty"`
	SpaceName       string `json:"SpaceName,omitempty"`
	AppType         string `json:"AppType,omitempty"`
}

// IsStudioApp reports whether the resource is a Studio app (stopped with
// DeleteApp) rather than a notebook instance (StopNotebookInstance).
func (r Resource) IsStudioApp() bool { return r.DomainID != "" }

// Region is the region in the resource's ARN.
func (r Resource) Region() string {
	// arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/name
	parts := strings.SplitN(r.ARN, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[3]
}

// String names the resource for logs and the status screen.
func (r Resource) String() string {
	if r.IsStudioApp() {
		owner := r.SpaceName
		if owner == "" {
			owner = r.UserProfileName
		}
		return fmt.Sprintf("Studio app %s/%s/%s/%s", r.DomainID, owner, r.AppType, r.Name)
	}
	return "notebook instance " + r.Name
}

// ReadResource reads the metadata file at path.
func ReadResource(path string) (Resource, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Resource{}, fmt.Errorf("resource metadata: %w", err)
	}
	var r Resource
	if err := json.Unmarshal(b, &r); err != nil {
		return Resource{}, fmt.Errorf("resource metadata %s: %w", path, err)
	}
	if r.Name == "" {
		return Resource{}, fmt.Errorf("resource metadata %s: no ResourceName", path)
	}
	if r.IsStudioApp() && (r.AppType == "" || (r.SpaceName == "" && r.UserProfileName == "")) {
		return Resource{}, fmt.Errorf("resource metadata %s: Studio app without AppType and SpaceName or UserProfileName", path)
	}
	return r, nil
}
