// Package runconfig is the run configuration: one versioned, strict YAML
// file (kind Run) that says everything a tick needs (internal/tick): the
// targets (accounts or the Organization, the role to assume, regions), the
// policies and schedules (files relative to the run file, or inline), the
// mode (dry-run unless the file says enforce), how often each kind of work
// is due, where digests go and how often, and the state backend.
//
// It is decoded through internal/config, so a bad file is one error naming
// the file, line and field, found before anything is asked of AWS.
package runconfig

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"regexp"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/sagesaver/sagesaver/internal/config"
	"github.com/sagesaver/sagesaver/internal/policy"
	"github.com/sagesaver/sagesaver/internal/schedule"
	"github.com/sagesaver/sagesaver/internal/store"
)

// Kind is the kind of a run file.
const Kind = "Run"

// Modes. Dry-run is the default: acting needs `mode: enforce` written in
// the file (and no --dry-run on the command line).
const (
	ModeDryRun  = "dry-run"
	ModeEnforce = "enforce"
)

// Default cadences. Inventory is listed every tick: a repeat scan through
// the store's describe cache costs a few List calls per account and region.
// Endpoint evidence (CloudWatch GetMetricData, billed per metric) is read
// hourly: a 5-minute tick re-reading it would request 12 times the metrics
// for the same verdict. Advice is daily (right-sizing looks at weeks of
// data); digests go out hourly so that a notice waits at most an hour.
const (
	DefaultInventory = 5 * time.Minute
	DefaultEvidence  = time.Hour
	DefaultAdvice    = 24 * time.Hour
	DefaultDigest    = time.Hour
)

// File is a run file.
//
//	apiVersion: sagesaver.io/v1alpha1
//	kind: Run
//	targets:
//	  accounts:
//	    - {id: "111111111111", name: ml-prod}
//	  roleName: SageSaverRole
//	  regions: [us-east-1, eu-west-1]
//	policies:
//	  - file: policies/idle-endpoints.yaml
//	schedules:
//	  - file: schedules/office-hours.yaml
//	mode: enforce
//	cadence: {inventory: 5m, evidence: 1h, advice: 24h, digest: 1h}
//	notify:
//	  snsTopicArn: arn:aws:sns:us-east-1:111111111111:ops
//	state: sqlite:/var/lib/sagesaver/state.db
type File struct {
	APIVersion string   `yaml:"apiVersion"`
	Kind       string   `yaml:"kind"`
	Targets    Targets  `yaml:"targets"`
	Policies   []Source `yaml:"policies,omitempty"`
	Schedules  []Source `yaml:"schedules,omitempty"`
	// Mode is dry-run (default) or enforce.
	Mode    string  `yaml:"mode,omitempty"`
	Cadence Cadence `yaml:"cadence,omitempty"`
	Notify  *Notify `yaml:"notify,omitempty"`
	// State is the state backend, as --state names it
	// (store.ParseLocation): "sqlite:PATH" or a plain path (relative to
	// the run file), or "dynamodb://TABLE?region=REGION". Empty: the
	// global --state.
	State string `yaml:"state,omitempty"`
}

// Targets are the accounts and regions a tick works on.
type Targets struct {
	// Accounts are reached through STS AssumeRole (RoleARN, or RoleName in
	// the account); the caller's own account needs no role. Empty, and no
	// Organization: the caller's account only.
	Accounts []Account `yaml:"accounts,omitempty"`
	// Organization: every ACTIVE account of the AWS Organization.
	Organization bool `yaml:"organization,omitempty"`
	// RoleName is assumed in an account without RoleARN (default
	// OrganizationAccountAccessRole).
	RoleName string `yaml:"roleName,omitempty"`
	// Regions to work on ("all": every SageMaker region).
	Regions []string `yaml:"regions"`
}

// Account is one account of Targets.
type Account struct {
	ID      string `yaml:"id"`
	Name    string `yaml:"name,omitempty"`
	RoleARN string `yaml:"roleArn,omitempty"`
}

// Source is a policy or schedules document: a file (relative to the run
// file) or the document inline.
type Source struct {
	File   string         `yaml:"file,omitempty"`
	Inline map[string]any `yaml:"inline,omitempty"`
}

// Cadence is how often each kind of work is due for a target; a tick does
// the work whose last run (remembered in the store) is at least this old.
// Zero is the default.
type Cadence struct {
	Inventory time.Duration `yaml:"inventory,omitempty"`
	Evidence  time.Duration `yaml:"evidence,omitempty"`
	Advice    time.Duration `yaml:"advice,omitempty"`
	Digest    time.Duration `yaml:"digest,omitempty"`
}

// Notify is where the schedules' digests go (a policy's notify actions
// name their own destinations).
type Notify struct {
	SNSTopicARN   string `yaml:"snsTopicArn,omitempty"`
	WebhookURLEnv string `yaml:"webhookUrlEnv,omitempty"`
}

var (
	accountIDRe = regexp.MustCompile(`^[0-9]{12}$`)
	roleARNRe   = regexp.MustCompile(`^arn:aws[a-z-]*:iam::([0-9]{12}):role/[\w+=,.@/-]+$`)
	roleNameRe  = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	snsARNRe    = regexp.MustCompile(`^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$`)
	envNameRe   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// minCadence keeps a cadence from asking AWS more often than a tick can
// run: ticks have minute resolution.
const minCadence = time.Minute

func ferr(field, format string, args ...any) error {
	return &config.FileError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Validate implements config.Validator.
func (f *File) Validate() error {
	if f.APIVersion != config.APIVersion {
		return ferr("apiVersion", "must be %q", config.APIVersion)
	}
	if f.Kind != Kind {
		return ferr("kind", "must be %q", Kind)
	}
	t := f.Targets
	if len(t.Accounts) > 0 && t.Organization {
		return ferr("targets.organization", "accounts and organization: choose one")
	}
	seen := map[string]bool{}
	for i, a := range t.Accounts {
		field := fmt.Sprintf("targets.accounts[%d]", i)
		if !accountIDRe.MatchString(a.ID) {
			return ferr(field+".id", "%q is not a 12-digit account id (quote it in YAML)", a.ID)
		}
		if seen[a.ID] {
			return ferr(field+".id", "account %s is listed twice", a.ID)
		}
		seen[a.ID] = true
		if a.RoleARN != "" {
			m := roleARNRe.FindStringSubmatch(a.RoleARN)
			if m == nil {
				return ferr(field+".roleArn", "%q is not an IAM role ARN", a.RoleARN)
			}
			if m[1] != a.ID {
				return ferr(field+".roleArn", "role is in account %s, not %s", m[1], a.ID)
			}
		}
	}
	if t.RoleName != "" && !roleNameRe.MatchString(t.RoleName) {
		return ferr("targets.roleName", "%q is not an IAM role name", t.RoleName)
	}
	if len(t.Regions) == 0 {
		return ferr("targets.regions", "lists no region (\"all\" is every SageMaker region)")
	}
	for i, r := range t.Regions {
		if r == "all" {
			continue
		}
		if _, err := config.CheckRegion(r); err != nil {
			return ferr(fmt.Sprintf("targets.regions[%d]", i), "%v", err)
		}
	}
	if len(f.Policies) == 0 && len(f.Schedules) == 0 {
		return ferr("policies", "the run has nothing to do: name at least one policy or schedules file")
	}
	for _, list := range []struct {
		name string
		srcs []Source
	}{{"policies", f.Policies}, {"schedules", f.Schedules}} {
		for i, s := range list.srcs {
			field := fmt.Sprintf("%s[%d]", list.name, i)
			if (s.File == "") == (s.Inline == nil) {
				return ferr(field, "give exactly one of file and inline")
			}
		}
	}
	switch f.Mode {
	case "", ModeDryRun, ModeEnforce:
	default:
		return ferr("mode", "%q: want %s (the default) or %s", f.Mode, ModeDryRun, ModeEnforce)
	}
	for _, c := range []struct {
		name string
		d    time.Duration
	}{{"inventory", f.Cadence.Inventory}, {"evidence", f.Cadence.Evidence}, {"advice", f.Cadence.Advice}, {"digest", f.Cadence.Digest}} {
		if c.d != 0 && c.d < minCadence {
			return ferr("cadence."+c.name, "%s is shorter than a minute, a tick's resolution", config.FormatDuration(c.d))
		}
	}
	if n := f.Notify; n != nil {
		if n.SNSTopicARN != "" && !snsARNRe.MatchString(n.SNSTopicARN) {
			return ferr("notify.snsTopicArn", "%q is not an SNS topic ARN", n.SNSTopicARN)
		}
		if n.WebhookURLEnv != "" && !envNameRe.MatchString(n.WebhookURLEnv) {
			return ferr("notify.webhookUrlEnv", "%q is not an environment variable name", n.WebhookURLEnv)
		}
	}
	if f.State != "" {
		if _, err := store.ParseLocation(f.State); err != nil {
			return ferr("state", "%v", err)
		}
	}
	return nil
}

// Run is a run file read and checked, its policies and schedules loaded.
type Run struct {
	// Path is the run file; Dir the directory its relative paths start at.
	Path string
	File
	// SHA256 is the hex SHA-256 of the run file's bytes.
	SHA256    string
	Policies  []*policy.Policy
	Schedules []*schedule.Schedule
	// ScheduleNotify is the first schedules file's notify block, if any
	// (the run file's notify wins).
	ScheduleNotify *schedule.Notify
}

// Enforce reports whether the run acts: the file says enforce and the
// command line did not force a dry run.
func (r *Run) Enforce(forceDryRun bool) bool { return r.Mode == ModeEnforce && !forceDryRun }

// Cadences returns the cadences with the defaults filled in.
func (r *Run) Cadences() Cadence {
	c := r.Cadence
	for _, x := range []struct {
		d   *time.Duration
		def time.Duration
	}{{&c.Inventory, DefaultInventory}, {&c.Evidence, DefaultEvidence}, {&c.Advice, DefaultAdvice}, {&c.Digest, DefaultDigest}} {
		if *x.d == 0 {
			*x.d = x.def
		}
	}
	return c
}

// StateLocation returns the state the file names, a relative SQLite path
// made relative to the run file; ok is false when the file names none (or,
// for a Run not made by Read or Decode, one that does not parse).
func (r *Run) StateLocation() (loc store.Location, ok bool) {
	if r.State == "" {
		return store.Location{}, false
	}
	loc, err := store.ParseLocation(r.State)
	if err != nil {
		return store.Location{}, false
	}
	if loc.Backend == store.BackendSQLite && !filepath.IsAbs(loc.Path) {
		loc.Path = filepath.Join(filepath.Dir(r.Path), loc.Path)
	}
	return loc, true
}

// Read reads the run file at path and every policy and schedules file it
// names (relative to it) or holds inline. Every error is a
// *config.FileError naming the file, line and field.
func Read(path string) (*Run, error) {
	data, err := config.ReadLimited(path, config.DefaultLimits.MaxBytes)
	if err != nil {
		return nil, err
	}
	return Decode(path, data)
}

// Decode is Read of data, named path.
func Decode(path string, data []byte) (*Run, error) {
	r := &Run{Path: path}
	if err := config.DecodeStrict(path, data, &r.File); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	r.SHA256 = hex.EncodeToString(sum[:])
	dir := filepath.Dir(path)
	for i, s := range r.File.Policies {
		field := fmt.Sprintf("policies[%d]", i)
		if s.File != "" {
			p, err := policy.Read(relativeTo(dir, s.File))
			if err != nil {
				return nil, referenced(path, data, field+".file", err)
			}
			r.Policies = append(r.Policies, p)
			continue
		}
		doc, err := yaml.Marshal(s.Inline)
		if err != nil {
			return nil, inlineError(path, data, field, err)
		}
		p, err := policy.Decode(fmt.Sprintf("%s#%s", path, field), doc)
		if err != nil {
			return nil, inlineError(path, data, field, err)
		}
		r.Policies = append(r.Policies, p)
	}
	for i, s := range r.File.Schedules {
		field := fmt.Sprintf("schedules[%d]", i)
		var (
			file *schedule.File
			ss   []*schedule.Schedule
			err  error
		)
		if s.File != "" {
			if file, ss, err = schedule.LoadFile(relativeTo(dir, s.File)); err != nil {
				return nil, referenced(path, data, field+".file", err)
			}
		} else {
			doc, merr := yaml.Marshal(s.Inline)
			if merr != nil {
				return nil, inlineError(path, data, field, merr)
			}
			if file, ss, err = decodeSchedules(fmt.Sprintf("%s#%s", path, field), doc); err != nil {
				return nil, inlineError(path, data, field, err)
			}
		}
		for _, x := range ss {
			for _, y := range r.Schedules {
				if y.Name == x.Name {
					line, col := config.Locate(data, field)
					return nil, &config.FileError{File: path, Line: line, Column: col, Field: field,
						Msg: fmt.Sprintf("schedule %q is defined twice (names key what the scheduler remembers)", x.Name)}
				}
			}
		}
		r.Schedules = append(r.Schedules, ss...)
		if file.Notify != nil && r.ScheduleNotify == nil {
			r.ScheduleNotify = file.Notify
		}
	}
	return r, nil
}

// relativeTo is path as the run file names it: relative to its directory
// dir unless absolute.
func relativeTo(dir, path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(dir, path)
}

// decodeSchedules is schedule.LoadFile of an inline document: its errors
// name name, and their line where the field is found in data.
func decodeSchedules(name string, data []byte) (*schedule.File, []*schedule.Schedule, error) {
	var f schedule.File
	if err := config.DecodeStrict(name, data, &f); err != nil {
		return nil, nil, err
	}
	ss, err := f.Compile()
	if err != nil {
		return nil, nil, config.Attach(name, data, err)
	}
	return &f, ss, nil
}

// referenced returns err, a referenced file's own error, as it is (it
// names that file, its line and field) when it is a *config.FileError;
// otherwise it is placed at field of the run file.
func referenced(path string, data []byte, field string, err error) error {
	if _, ok := err.(*config.FileError); ok {
		return err
	}
	line, col := config.Locate(data, field)
	return &config.FileError{File: path, Line: line, Column: col, Field: field, Msg: err.Error(), Err: err}
}

// inlineError places an inline document's error in the run file: its
// field under field+".inline", at that field's line.
func inlineError(path string, data []byte, field string, err error) error {
	at := field + ".inline"
	msg := err.Error()
	if fe, ok := err.(*config.FileError); ok {
		msg = fe.Msg
		if fe.Field != "" {
			at += "." + fe.Field
		}
	}
	line, col := config.Locate(data, at)
	return &config.FileError{File: path, Line: line, Column: col, Field: at, Msg: msg, Err: err}
}
