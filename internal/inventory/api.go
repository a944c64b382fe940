package inventory

import (
	"github.com/sagesaver/sagesaver/internal/awsapi"
)

// API is the AWS surface the collectors use (all read-only).
type API struct {
	SageMaker awsapi.InventoryReader
	Tagging   awsapi.TagLister
}
