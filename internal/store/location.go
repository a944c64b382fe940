package store

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// The backends a Location names.
const (
	BackendSQLite   = "sqlite"
	BackendDynamoDB = "dynamodb"
)

// Location says which backend holds the state and where: what --state
// (and SAGESAVER_STATE, and the config file's state) names, read by
// ParseLocation:
//
//	sqlite:PATH                                      a SQLite file (Open)
//	PATH                                             the same
//	dynamodb://TABLE?region=REGION[&endpoint=URL]    a DynamoDB table
//
// endpoint sends the table's calls elsewhere than AWS (DynamoDB Local,
// for development).
type Location struct {
	Backend string
	// Path is the SQLite file.
	Path string
	// Table, Region and Endpoint are the DynamoDB table's; Region ""
	// is the AWS configuration's.
	Table, Region, Endpoint string
}

// tableName is DynamoDB's rule for table names.
var tableName = regexp.MustCompile(`^[a-zA-Z0-9_.-]{3,255}$`)

// ParseLocation reads a state location (see Location).
func ParseLocation(s string) (Location, error) {
	switch {
	case s == "":
		return Location{}, fmt.Errorf("state location is empty: want sqlite:PATH or dynamodb://TABLE?region=REGION")
	case strings.HasPrefix(s, "sqlite:"):
		p := strings.TrimPrefix(s, "sqlite:")
		if p == "" {
			return Location{}, fmt.Errorf("state location %q: the SQLite file's path is empty", s)
		}
		return Location{Backend: BackendSQLite, Path: p}, nil
	case strings.HasPrefix(s, "dynamodb:"):
		return parseDynamoDB(s)
	case strings.Contains(s, "://"):
		scheme, _, _ := strings.Cut(s, "://")
		return Location{}, fmt.Errorf("state location %q: unknown backend %q: want sqlite:PATH or dynamodb://TABLE?region=REGION", s, scheme)
	default:
		return Location{Backend: BackendSQLite, Path: s}, nil
	}
}

func parseDynamoDB(s string) (Location, error) {
	u, err := url.Parse(s)
	if err != nil {
		return Location{}, fmt.Errorf("state location %q: %w", s, err)
	}
	if u.Opaque != "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.Fragment != "" {
		return Location{}, fmt.Errorf("state location %q: want dynamodb://TABLE?region=REGION", s)
	}
	l := Location{Backend: BackendDynamoDB, Table: u.Host}
	if !tableName.MatchString(l.Table) {
		return Location{}, fmt.Errorf("state location %q: table name %q: want 3 to 255 letters, digits, '_', '-' or '.'", s, l.Table)
	}
	for k, vs := range u.Query() {
		if len(vs) != 1 || vs[0] == "" {
			return Location{}, fmt.Errorf("state location %q: %s wants one value", s, k)
		}
		switch k {
		case "region":
			l.Region = vs[0]
		case "endpoint":
			e, err := url.Parse(vs[0])
			if err != nil || (e.Scheme != "http" && e.Scheme != "https") || e.Host == "" {
				return Location{}, fmt.Errorf("state location %q: endpoint %q: want an http or https URL", s, vs[0])
			}
			l.Endpoint = vs[0]
		default:
			return Location{}, fmt.Errorf("state location %q: unknown parameter %q: want region or endpoint", s, k)
		}
	}
	return l, nil
}

// String is the location as ParseLocation reads it.
func (l Location) String() string {
	switch l.Backend {
	case BackendDynamoDB:
		q := url.Values{}
		if l.Region != "" {
			q.Set("region", l.Region)
		}
		if l.Endpoint != "" {
			q.Set("endpoint", l.Endpoint)
		}
		s := "dynamodb://" + l.Table
		if len(q) > 0 {
			s += "?" + q.Encode()
		}
		return s
	default:
		return "sqlite:" + l.Path
	}
}
