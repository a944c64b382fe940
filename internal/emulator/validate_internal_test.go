package emulator

import (
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
)

// TestValueTextHasNoPointers: a list of structs with pointer fields reads
// as its values, the same on every run (Go's %v printed the pointers'
// addresses, which made validation messages, and a test, vary).
func TestValueTextHasNoPointers(t *testing.T) {
	filters := []smtypes.Filter{{Name: aws.String("EndpointName"), Operator: smtypes.OperatorEquals, Value: aws.String("a")}}
	got := valueText(reflect.ValueOf(filters))
	if want := "[{Name: EndpointName,Operator: Equals,Value: a}]"; got != want {
		t.Errorf("valueText = %q, want %q", got, want)
	}
	m := map[string]*string{"b": aws.String("2"), "a": nil}
	if got, want := valueText(reflect.ValueOf(m)), "{a=null, b=2}"; got != want {
		t.Errorf("valueText(map) = %q, want %q", got, want)
	}
}
