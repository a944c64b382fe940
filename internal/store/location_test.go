package store_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sagesaver/sagesaver/internal/store"
)

func TestParseLocation(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want store.Location
	}{
		{"sqlite:/var/lib/sagesaver/state.db", store.Location{Backend: "sqlite", Path: "/var/lib/sagesaver/state.db"}},
		{"sqlite:state.db", store.Location{Backend: "sqlite", Path: "state.db"}},
		{"/home/a/.local/state/sagesaver/sagesaver.db", store.Location{Backend: "sqlite", Path: "/home/a/.local/state/sagesaver/sagesaver.db"}},
		{"dynamodb://sagesaver-state?region=eu-west-1", store.Location{Backend: "dynamodb", Table: "sagesaver-state", Region: "eu-west-1"}},
		{"dynamodb://sagesaver", store.Location{Backend: "dynamodb", Table: "sagesaver"}},
		{"dynamodb://t.x_y-z?region=us-east-1&endpoint=http://127.0.0.1:8000",
			store.Location{Backend: "dynamodb", Table: "t.x_y-z", Region: "us-east-1", Endpoint: "http://127.0.0.1:8000"}},
	} {
		got, err := store.ParseLocation(tc.in)
		if err != nil {
			t.Errorf("ParseLocation(%q): %v", tc.in, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("ParseLocation(%q) (-want +got):\n%s", tc.in, diff)
		}
		back, err := store.ParseLocation(got.String())
		if err != nil || back != got {
			t.Errorf("ParseLocation(%q).String() = %q reads back as %+v, %v", tc.in, got.String(), back, err)
		}
	}
	for _, tc := range []struct{ in, msg string }{
		{"", "empty"},
		{"sqlite:", "path is empty"},
		{"postgres://db/state", `unknown backend "postgres"`},
		{"dynamodb://", "table name"},
		{"dynamodb://ab?region=us-east-1", "table name"},
		{"dynamodb://bad%20name", "bad%20name"},
		{"dynamodb://bad!name", "table name"},
		{"dynamodb://t1/extra", "want dynamodb://TABLE"},
		{"dynamodb://state?regoin=us-east-1", `unknown parameter "regoin"`},
		{"dynamodb://state?region=", "region wants one value"},
		{"dynamodb://state?region=a&region=b", "region wants one value"},
		{"dynamodb://state?endpoint=localhost:8000", "want an http or https URL"},
		{"dynamodb:state", "want dynamodb://TABLE"},
	} {
		_, err := store.ParseLocation(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("ParseLocation(%q) = %v, want an error saying %q", tc.in, err, tc.msg)
		}
	}
}
