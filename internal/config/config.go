// Package config resolves sagesaver's global settings: defaults, then the
// YAML config file, then SAGESAVER_* environment variables, then flags.
// The file is versioned (apiVersion, kind) and strict: unknown fields are
// errors with their line and column.
package config

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// APIVersion is the only config file version this build reads.
const APIVersion = "sagesaver.io/v1alpha1"

// Output formats.
const (
	OutputTable    = "table"
	OutputJSON     = "json"
	OutputCSV      = "csv"
	OutputMarkdown = "markdown"
)

// CloudWatch wire protocols. The Go SDK speaks Smithy RPC v2 CBOR by default;
// some AWS-compatible endpoints (older LocalStack, MinIO-style gateways) only
// speak the older query protocol.
const (
	CloudWatchCBOR  = "cbor"
	CloudWatchQuery = "query"
)

// Config is the global configuration. Its YAML form is the config file.
type Config struct {
	APIVersion string `yaml:"apiVersion" json:"apiVersion"`
	Kind       string `yaml:"kind" json:"kind"`

	// Profile is the AWS shared-config profile ("" = the SDK's default chain).
	Profile string `yaml:"profile,omitempty" json:"profile,omitempty"`
	// Regions to work on; "all" means every region where SageMaker is offered.
	Regions []string `yaml:"regions,omitempty" json:"regions,omitempty"`
	// EndpointURL sends every AWS call to one endpoint (the emulator, or an
	// AWS-compatible service). The SDK's AWS_ENDPOINT_URL* variables also work.
	EndpointURL string `yaml:"endpointURL,omitempty" json:"endpointURL,omitempty"`
	// Output is table, json, csv or markdown.
	Output string `yaml:"output,omitempty" json:"output,omitempty"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `yaml:"logLevel,omitempty" json:"logLevel,omitempty"`
	// LogFormat is text or json.
	LogFormat string `yaml:"logFormat,omitempty" json:"logFormat,omitempty"`
	// CloudWatchProtocol is cbor (the SDK's default) or query.
	CloudWatchProtocol string `yaml:"cloudwatchProtocol,omitempty" json:"cloudwatchProtocol,omitempty"`
	// State is the state store (store.ParseLocation): sqlite:PATH, a
	// path, or dynamodb://TABLE?region=REGION; "" is the default file.
	State string `yaml:"state,omitempty" json:"state,omitempty"`
	// AWSTimeout bounds one attempt of every AWS call (connect, TLS
	// handshake and response headers at most so too); 0 is the default
	// (awsconfig.DefaultTimeout, one minute).
	AWSTimeout time.Duration `yaml:"awsTimeout,omitempty" json:"awsTimeout,omitempty"`
}

// Default returns the built-in defaults.
func Default() Config {
	return Config{
		APIVersion:         APIVersion,
		Kind:               "Config",
		Output:             OutputTable,
		LogLevel:           "info",
		LogFormat:          "text",
		CloudWatchProtocol: CloudWatchCBOR,
	}
}

// Validate checks the values of a decoded or merged configuration.
func (c *Config) Validate() error {
	if c.APIVersion != APIVersion {
		return &FileError{Field: "apiVersion", Msg: fmt.Sprintf("must be %q, got %q", APIVersion, c.APIVersion)}
	}
	if c.Kind != "Config" {
		return &FileError{Field: "kind", Msg: fmt.Sprintf("must be \"Config\", got %q", c.Kind)}
	}
	checks := []struct {
		field, value string
		allowed      []string
	}{
		{"output", c.Output, []string{OutputTable, OutputJSON, OutputCSV, OutputMarkdown}},
		{"logLevel", c.LogLevel, []string{"debug", "info", "warn", "error"}},
		{"logFormat", c.LogFormat, []string{"text", "json"}},
		{"cloudwatchProtocol", c.CloudWatchProtocol, []string{CloudWatchCBOR, CloudWatchQuery}},
	}
	for _, ch := range checks {
		if ch.value != "" && !slices.Contains(ch.allowed, ch.value) {
			return &FileError{Field: ch.field, Msg: fmt.Sprintf("must be one of %s, got %q", strings.Join(ch.allowed, ", "), ch.value)}
		}
	}
	for i, r := range c.Regions {
		if r == "all" {
			continue
		}
		if _, err := CheckRegion(r); err != nil {
			return &FileError{Field: fmt.Sprintf("regions[%d]", i), Msg: err.Error()}
		}
	}
	if c.EndpointURL != "" {
		if err := CheckEndpointURL(c.EndpointURL); err != nil {
			return &FileError{Field: "endpointURL", Msg: err.Error()}
		}
	}
	if c.AWSTimeout < 0 || (c.AWSTimeout > 0 && c.AWSTimeout < MinAWSTimeout) {
		return &FileError{Field: "awsTimeout", Msg: fmt.Sprintf("%s is too short: at least %s", FormatDuration(c.AWSTimeout), FormatDuration(MinAWSTimeout))}
	}
	return nil
}

// MinAWSTimeout is the shortest --aws-timeout: less cannot even connect to
// a distant region.
const MinAWSTimeout = 100 * time.Millisecond

// CheckEndpointURL checks an --endpoint-url before any call is made with
// it: an http or https URL with a host, and nothing the SDK would drop or
// misread (user info, query, fragment).
func CheckEndpointURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Opaque != "" {
		return fmt.Errorf("%q is not a URL: want e.g. https://sagemaker.example.com or http://127.0.0.1:4566", s)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("%q: the scheme must be http or https, not %s", s, u.Scheme)
	case u.Hostname() == "":
		return fmt.Errorf("%q has no host: want e.g. http://127.0.0.1:4566", s)
	case u.User != nil:
		return fmt.Errorf("%q: credentials do not belong in the URL", s)
	case u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("%q: an endpoint URL has no query or fragment", s)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("%q: port %s is out of range 1-65535", s, p)
		}
	}
	return nil
}

// DefaultPath is where the config file is looked for when none is named:
// $XDG_CONFIG_HOME/sagesaver/config.yaml (or the OS equivalent).
func DefaultPath() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "sagesaver", "config.yaml")
}

// Load returns the defaults overlaid by the file at path. An empty path means
// DefaultPath, which may be absent; a named path must exist.
func Load(path string) (Config, error) {
	cfg := Default()
	named := path != ""
	if !named {
		path = DefaultPath()
	}
	if path == "" {
		return cfg, nil
	}
	if _, err := os.Stat(path); err != nil {
		if !named && os.IsNotExist(err) {
			return cfg, nil
		}
		return cfg, ReadError(path, err)
	}
	if err := ReadStrict(path, &cfg); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// Env variable names, each overriding the file and overridden by its flag.
const (
	EnvConfig             = "SAGESAVER_CONFIG"
	EnvProfile            = "SAGESAVER_PROFILE"
	EnvRegion             = "SAGESAVER_REGION"
	EnvEndpointURL        = "SAGESAVER_ENDPOINT_URL"
	EnvOutput             = "SAGESAVER_OUTPUT"
	EnvLogLevel           = "SAGESAVER_LOG_LEVEL"
	EnvLogFormat          = "SAGESAVER_LOG_FORMAT"
	EnvCloudWatchProtocol = "SAGESAVER_CLOUDWATCH_PROTOCOL"
	EnvState              = "SAGESAVER_STATE"
	EnvAWSTimeout         = "SAGESAVER_AWS_TIMEOUT"
)

// ApplyEnv overlays the SAGESAVER_* variables found by getenv; a value that
// does not parse is an error naming the variable.
func (c *Config) ApplyEnv(getenv func(string) string) error {
	set := func(dst *string, name string) {
		if v := getenv(name); v != "" {
			*dst = v
		}
	}
	set(&c.Profile, EnvProfile)
	set(&c.EndpointURL, EnvEndpointURL)
	set(&c.Output, EnvOutput)
	set(&c.LogLevel, EnvLogLevel)
	set(&c.LogFormat, EnvLogFormat)
	set(&c.CloudWatchProtocol, EnvCloudWatchProtocol)
	set(&c.State, EnvState)
	if v := getenv(EnvRegion); v != "" {
		c.Regions = SplitList(v)
	}
	if v := getenv(EnvAWSTimeout); v != "" {
		d, err := ParseDuration(v)
		if err != nil {
			return fmt.Errorf("%s: %w", EnvAWSTimeout, err)
		}
		c.AWSTimeout = d
	}
	return nil
}

// SplitList splits "a,b, c" into its non-empty, trimmed elements.
func SplitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// StatePath returns the store's path: the configured one, or
// $XDG_STATE_HOME/sagesaver/sagesaver.db (~/.local/state/... on Linux).
func (c *Config) StatePath() string {
	if c.State != "" {
		return c.State
	}
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "sagesaver", "sagesaver.db")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "state", "sagesaver", "sagesaver.db")
	}
	return "sagesaver.db"
}
