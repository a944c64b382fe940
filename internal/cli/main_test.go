package cli

import (
	"testing"

	"github.com/sagesaver/sagesaver/internal/store/dynamo/dynamotest"
)

// TestMain lets the DynamoDB test servers (dynamotest) run supervised by
// this test binary, and stops them when the tests end.
func TestMain(m *testing.M) { dynamotest.Main(m) }
