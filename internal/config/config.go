// Package config resolves sagesaver's global settings: defaults, then the
// YAML config file, then SAGESAVER_* environment variables, then flags.
// The file is versioned (apiVersion, kind) and strict: unknown fields are
// errors with their line and column.
package config

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
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
	// State is the path of the SQLite store.
	State string `yaml:"state,omitempty" json:"state,omitempty"`
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
)

// ApplyEnv overlays the SAGESAVER_* variables found by getenv.
func (c *Config) ApplyEnv(getenv func(string) string) {
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
