package agent

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/sagesaver/sagesaver/internal/agent/agenttag"
	"github.com/sagesaver/sagesaver/internal/config"
)

// ConfigKind is the kind of the agent's YAML file.
const ConfigKind = "AgentConfig"

// DefaultConfigPath is where the lifecycle script writes the agent's
// configuration, and where `sagesaver agent` looks for it.
const DefaultConfigPath = "/etc/sagesaver/agent.yaml"

// DefaultMetadataPath is where SageMaker describes the resource an agent
// runs on, on notebook instances and in Studio apps alike.
const DefaultMetadataPath = "/opt/ml/metadata/resource-metadata.json"

// Config is the agent's configuration: the YAML file (apiVersion
// sagesaver.io/v1alpha1, kind AgentConfig), overridden by flags.
type Config struct {
	APIVersion string `yaml:"apiVersion" json:"apiVersion"`
	Kind       string `yaml:"kind" json:"kind"`

	// IdleTime is how long every signal must stay quiet before the
	// resource is stopped.
	IdleTime time.Duration `yaml:"idleTime" json:"idleTime"`
	// PollInterval is the time between two looks at the signals.
	PollInterval time.Duration `yaml:"pollInterval,omitempty" json:"pollInterval,omitempty"`
	// Grace is the start-up grace period, counted from the machine's boot:
	// nothing is stopped before it ends.
	Grace time.Duration `yaml:"grace,omitempty" json:"grace,omitempty"`

	// JupyterURL is the local Jupyter server, with its base path.
	JupyterURL string `yaml:"jupyterURL,omitempty" json:"jupyterURL,omitempty"`
	// JupyterTokenFile holds the server's token, when it wants one.
	JupyterTokenFile string `yaml:"jupyterTokenFile,omitempty" json:"jupyterTokenFile,omitempty"`
	// JupyterCAFile is the PEM certificate to trust; without it, the
	// certificate of a localhost server is not checked (notebook instances
	// serve a self-signed one).
	JupyterCAFile string `yaml:"jupyterCAFile,omitempty" json:"jupyterCAFile,omitempty"`

	// CPUThreshold is CPU use, in percent of one core summed over all cores
	// (a single busy thread on any machine is 100), at or above which the
	// machine counts as active. 0 turns the CPU signal off.
	CPUThreshold float64 `yaml:"cpuThreshold,omitempty" json:"cpuThreshold,omitempty"`
	// GPUThreshold is the utilization, in percent, at or above which a GPU
	// counts as active. 0 turns the GPU signal off.
	GPUThreshold float64 `yaml:"gpuThreshold,omitempty" json:"gpuThreshold,omitempty"`
	// CountConnections makes an open websocket to a kernel (a browser tab)
	// count as activity. Off by default: a forgotten tab is the classic
	// reason an idle instance never stops.
	CountConnections bool `yaml:"countConnections,omitempty" json:"countConnections,omitempty"`
	// StuckAfter is how long a kernel may stay busy or starting with no
	// message and no CPU use before it is reported as stuck.
	StuckAfter time.Duration `yaml:"stuckAfter,omitempty" json:"stuckAfter,omitempty"`
	// IgnoreStuckKernels stops counting a stuck kernel as activity.
	IgnoreStuckKernels bool `yaml:"ignoreStuckKernels,omitempty" json:"ignoreStuckKernels,omitempty"`

	// MetadataPath is SageMaker's resource metadata file.
	MetadataPath string `yaml:"metadataPath,omitempty" json:"metadataPath,omitempty"`
	// StateDir holds the idle clock and the status file (and the
	// keep-alive file unless KeepAliveDir is set).
	StateDir string `yaml:"stateDir,omitempty" json:"stateDir,omitempty"`
	// KeepAliveDir holds the keep-alive file, when the user who writes it
	// is not the agent's: the lifecycle script runs the agent as root with
	// its state in a root-only StateDir, and gives the notebook user this
	// separate directory. Empty: StateDir.
	KeepAliveDir string `yaml:"keepAliveDir,omitempty" json:"keepAliveDir,omitempty"`
	// DryRun logs the stop instead of making it.
	DryRun bool `yaml:"dryRun,omitempty" json:"dryRun,omitempty"`
	// PublishTag writes the sagesaver:last-activity tag on the resource.
	PublishTag bool `yaml:"publishTag,omitempty" json:"publishTag,omitempty"`
	// Region overrides the region taken from the resource's ARN.
	Region string `yaml:"region,omitempty" json:"region,omitempty"`
	// EndpointURL sends SageMaker calls elsewhere (a VPC endpoint's DNS
	// name, or the emulator).
	EndpointURL string `yaml:"endpointURL,omitempty" json:"endpointURL,omitempty"`
}

// DefaultConfig returns the defaults: stop after one idle hour, looking
// every minute.
func DefaultConfig() Config {
	return Config{
		APIVersion:   config.APIVersion,
		Kind:         ConfigKind,
		IdleTime:     time.Hour,
		PollInterval: time.Minute,
		// Jupyter and the user's first login take a few minutes after boot.
		Grace:      15 * time.Minute,
		JupyterURL: "https://localhost:8443/",
		// One thread busy at a third of a core is more than Jupyter and the
		// SageMaker agents use at rest (a few percent), and less than any
		// real computation.
		CPUThreshold: 30,
		GPUThreshold: 5,
		StuckAfter:   6 * time.Hour,
		MetadataPath: DefaultMetadataPath,
		StateDir:     "/var/lib/sagesaver",
		PublishTag:   true,
	}
}

// Validate checks the values.
func (c *Config) Validate() error {
	if c.APIVersion != config.APIVersion {
		return &config.FileError{Field: "apiVersion", Msg: fmt.Sprintf("must be %q, got %q", config.APIVersion, c.APIVersion)}
	}
	if c.Kind != ConfigKind {
		return &config.FileError{Field: "kind", Msg: fmt.Sprintf("must be %q, got %q", ConfigKind, c.Kind)}
	}
	switch {
	case c.IdleTime <= 0:
		return &config.FileError{Field: "idleTime", Msg: "must be positive, e.g. 1h"}
	case c.PollInterval < time.Second:
		return &config.FileError{Field: "pollInterval", Msg: "must be at least 1s"}
	case c.PollInterval > c.IdleTime:
		return &config.FileError{Field: "pollInterval", Msg: fmt.Sprintf("must not exceed idleTime (%s)", c.IdleTime)}
	case c.PublishTag && c.PollInterval > agenttag.MaxPollInterval:
		return &config.FileError{Field: "pollInterval", Msg: fmt.Sprintf("must not exceed %s with publishTag: the tag's heartbeat must be refreshed every %s", agenttag.MaxPollInterval, agenttag.Interval)}
	case c.Grace < 0:
		return &config.FileError{Field: "grace", Msg: "must not be negative"}
	case c.CPUThreshold < 0:
		return &config.FileError{Field: "cpuThreshold", Msg: "must not be negative (0 turns the signal off)"}
	case c.GPUThreshold < 0 || c.GPUThreshold > 100:
		return &config.FileError{Field: "gpuThreshold", Msg: "must be between 0 (off) and 100"}
	case c.StuckAfter < c.IdleTime:
		return &config.FileError{Field: "stuckAfter", Msg: fmt.Sprintf("must be at least idleTime (%s)", c.IdleTime)}
	case c.JupyterURL == "":
		return &config.FileError{Field: "jupyterURL", Msg: "must be set"}
	case c.StateDir == "":
		return &config.FileError{Field: "stateDir", Msg: "must be set"}
	}
	if c.EndpointURL != "" {
		// As --endpoint-url: an http(s) URL with a host, before any call.
		if err := config.CheckEndpointURL(c.EndpointURL); err != nil {
			return &config.FileError{Field: "endpointURL", Msg: err.Error()}
		}
	}
	return nil
}

// LoadConfig returns the defaults overlaid by the file at path.
func LoadConfig(path string) (Config, error) {
	c := DefaultConfig()
	if err := config.ReadStrict(path, &c); err != nil {
		return c, err
	}
	return c, nil
}

// StatePath is the idle clock and last verdict, written by the running agent.
func (c *Config) StatePath() string { return filepath.Join(c.StateDir, "state.json") }

// KeepAlivePath is the keep-alive file: while it exists (and, when it holds
// an RFC 3339 time, until that time) the resource is active.
func (c *Config) KeepAlivePath() string {
	if c.KeepAliveDir != "" {
		return filepath.Join(c.KeepAliveDir, "keepalive")
	}
	return filepath.Join(c.StateDir, "keepalive")
}
