package cli

import (
	"testing"

	"github.com/sagesaver/sagesaver/internal/config"
	"github.com/sagesaver/sagesaver/internal/testutil"
)

// FuzzAccountsFile decodes any document as an --accounts file: no input
// panics, and the hostile seeds are refused by the limits.
func FuzzAccountsFile(f *testing.F) {
	f.Add([]byte("apiVersion: sagesaver.io/v1alpha1\nkind: Accounts\naccounts:\n  - id: \"123456789012\"\n    roleARN: arn:aws:iam::123456789012:role/x\n"))
	hostile := testutil.HostileYAML(config.DefaultMaxBytes)
	for _, s := range hostile {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var file AccountsFile
		err := config.DecodeStrict("accounts.yaml", data, &file)
		if config.CheckBounds("accounts.yaml", data, config.DefaultLimits) != nil && !testutil.IsLimitError(err) {
			t.Fatalf("over the limits, decoded with %v", err)
		}
	})
}
