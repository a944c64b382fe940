// Package lifecycle renders, installs and audits the notebook instance
// lifecycle configurations that run the sagesaver agent.
//
// The on-start script that Render returns installs the agent binary from S3
// (with the instance's own AWS CLI, so that a VPC with only an S3 endpoint
// works) or HTTPS, verifies its SHA-256, writes the agent's configuration
// and starts it under a supervisor: a systemd unit where systemd runs the
// machine (Amazon Linux 2 and 2023 notebook instances), or a restart loop
// started with nohup otherwise. Everything after the configuration is
// written runs in the background, so that the script returns in well under
// a second and never meets SageMaker's 5-minute on-start limit.
package lifecycle

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"text/template"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/sagesaver/sagesaver/internal/agent"
	"github.com/sagesaver/sagesaver/internal/version"
)

// MaxScriptBase64 is SageMaker's limit on one lifecycle script: 16,384
// characters of base64 (12,288 bytes of script).
const MaxScriptBase64 = 16384

// Paths on the instance. The script prefixes them with $SAGESAVER_ROOT,
// which is empty on an instance and a temporary directory in tests.
const (
	BinPath    = "/usr/local/bin/sagesaver"
	ConfigPath = agent.DefaultConfigPath
	StateDir   = "/var/lib/sagesaver"
	// KeepAliveDir is the notebook user's: `sagesaver agent keepalive`
	// writes there, and the root agent reads it without following links.
	// Nothing root writes or trusts lives in it.
	KeepAliveDir = "/var/lib/sagesaver-keepalive"
	// NotebookUser is the user Jupyter runs as on a notebook instance.
	NotebookUser = "ec2-user"
	LogPath      = "/var/log/sagesaver-agent.log"
	UnitPath     = "/etc/systemd/system/sagesaver-agent.service"
)

// Options are what `sagesaver lifecycle render` takes.
type Options struct {
	// From is where the instance downloads the agent binary:
	// s3://bucket/key or https://host/path.
	From string
	// SHA256 is the binary's checksum in hex.
	SHA256 string
	// Agent is the agent's configuration; StateDir and KeepAliveDir are
	// set by Render.
	Agent agent.Config
}

var (
	sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)
	// safeValue is what may appear inside the script's unquoted here-doc
	// and single-quoted strings: no quote, $, backquote or backslash.
	safeValue = regexp.MustCompile(`^[A-Za-z0-9._~:/?#\[\]@!&()*+,;=%-]*$`)
)

// Render returns the on-start script.
func Render(o Options) (string, error) {
	switch {
	case !strings.HasPrefix(o.From, "s3://") && !strings.HasPrefix(o.From, "https://"):
		return "", fmt.Errorf("--binary-url %q: want s3://bucket/key or https://...", o.From)
	case strings.HasPrefix(o.From, "s3://") && !strings.Contains(strings.TrimPrefix(o.From, "s3://"), "/"):
		return "", fmt.Errorf("--binary-url %q: want s3://bucket/key", o.From)
	case !safeValue.MatchString(o.From):
		return "", fmt.Errorf("--binary-url %q: quotes, $, ` and \\ are not allowed", o.From)
	}
	sum := strings.ToLower(o.SHA256)
	if !sha256Hex.MatchString(sum) {
		return "", fmt.Errorf("sha256 %q: want 64 hex digits", o.SHA256)
	}
	cfg := o.Agent
	cfg.StateDir = StateDir
	cfg.KeepAliveDir = KeepAliveDir
	if err := cfg.Validate(); err != nil {
		return "", fmt.Errorf("agent config: %w", err)
	}
	conf, err := agentYAML(cfg)
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	err = script.Execute(&b, map[string]any{
		"Version": version.String(),
		"Idle":    cfg.IdleTime.String(),
		"From":    o.From,
		"SHA256":  sum,
		"Config":  conf,
		"Bin":     BinPath, "Conf": ConfigPath, "State": StateDir, "Keep": KeepAliveDir, "User": NotebookUser,
		"Log": LogPath, "Unit": UnitPath,
		"Meta": cfg.MetadataPath,
	})
	if err != nil {
		return "", err
	}
	s := b.String()
	if n := base64.StdEncoding.EncodedLen(len(s)); n > MaxScriptBase64 {
		return "", fmt.Errorf("script is %d base64 characters, over SageMaker's limit of %d", n, MaxScriptBase64)
	}
	return s, nil
}

// agentYAML renders the agent configuration. Path values get the script's
// $ROOT prefix; every value must be safe inside an unquoted here-doc.
func agentYAML(c agent.Config) (string, error) {
	type file struct {
		APIVersion         string        `yaml:"apiVersion"`
		Kind               string        `yaml:"kind"`
		IdleTime           time.Duration `yaml:"idleTime"`
		PollInterval       time.Duration `yaml:"pollInterval"`
		Grace              time.Duration `yaml:"grace"`
		JupyterURL         string        `yaml:"jupyterURL"`
		CPUThreshold       float64       `yaml:"cpuThreshold"`
		GPUThreshold       float64       `yaml:"gpuThreshold"`
		CountConnections   bool          `yaml:"countConnections"`
		StuckAfter         time.Duration `yaml:"stuckAfter"`
		IgnoreStuckKernels bool          `yaml:"ignoreStuckKernels"`
		MetadataPath       string        `yaml:"metadataPath"`
		StateDir           string        `yaml:"stateDir"`
		KeepAliveDir       string        `yaml:"keepAliveDir"`
		DryRun             bool          `yaml:"dryRun"`
		PublishTag         bool          `yaml:"publishTag"`
		EndpointURL        string        `yaml:"endpointURL,omitempty"`
	}
	for name, v := range map[string]string{"jupyterURL": c.JupyterURL, "metadataPath": c.MetadataPath, "endpointURL": c.EndpointURL} {
		if !safeValue.MatchString(v) {
			return "", fmt.Errorf("%s %q: quotes, $, ` and \\ are not allowed", name, v)
		}
	}
	f := file{
		APIVersion: c.APIVersion, Kind: c.Kind, IdleTime: c.IdleTime, PollInterval: c.PollInterval, Grace: c.Grace,
		JupyterURL: c.JupyterURL, CPUThreshold: c.CPUThreshold, GPUThreshold: c.GPUThreshold,
		CountConnections: c.CountConnections, StuckAfter: c.StuckAfter, IgnoreStuckKernels: c.IgnoreStuckKernels,
		MetadataPath: "${ROOT}" + c.MetadataPath, StateDir: "${ROOT}" + c.StateDir, KeepAliveDir: "${ROOT}" + c.KeepAliveDir,
		DryRun: c.DryRun, PublishTag: c.PublishTag, EndpointURL: c.EndpointURL,
	}
	b, err := yaml.Marshal(f)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// SHA256Hex formats a checksum.
func SHA256Hex(sum []byte) string { return hex.EncodeToString(sum) }

// The script. Kept short: it counts against the 16 KiB limit together with
// whatever else the user's own on-start script holds.
var script = template.Must(template.New("on-start").Parse(`#!/bin/bash
# sagesaver agent: stop this notebook when idle for {{.Idle}}.
# Rendered by sagesaver {{.Version}}; see docs/agent.md.
set -euo pipefail
ROOT="${SAGESAVER_ROOT:-}"
SRC='{{.From}}'
SHA256='{{.SHA256}}'
BIN="$ROOT{{.Bin}}"
CONF="$ROOT{{.Conf}}"
STATE="$ROOT{{.State}}"
LOG="$ROOT{{.Log}}"
META="$ROOT{{.Meta}}"

KEEP="$ROOT{{.Keep}}"

mkdir -p "$(dirname "$BIN")" "$(dirname "$CONF")" "$(dirname "$LOG")" "$(dirname "$STATE")"
# Root's state (idle clock, supervisor pid): only root writes it (the user
# may read it: agent status). A directory that is a link, or not ours and
# 0755 (earlier versions made it 1777), may hold what another user
# planted: set it aside and trust nothing in it.
if [ -L "$STATE" ] || { [ -e "$STATE" ] && [ "$(stat -c '%u %a' "$STATE")" != "$(id -u) 755" ]; }; then
  mv -f "$STATE" "$STATE.untrusted.$(date +%s)"
fi
mkdir -p -m 0755 "$STATE"
# "sagesaver agent keepalive" runs as the notebook user and writes only
# here; the agent reads it without following links.
if [ -L "$KEEP" ]; then rm -f "$KEEP"; fi
mkdir -p "$KEEP"
if [ "$(id -u)" = 0 ] && id {{.User}} >/dev/null 2>&1; then
  chown -h {{.User}} "$KEEP"; chmod 0755 "$KEEP"
else
  chmod 1777 "$KEEP"
fi
cat > "$CONF" <<EOF
{{.Config}}EOF

install_agent() {
  local tmp i
  tmp="$(mktemp "$BIN.XXXXXX")"
  for i in 1 2 3 4 5; do
    case "$SRC" in
    s3://*)
      # The instance's AWS CLI uses its role and reaches S3 through a VPC
      # endpoint where there is no internet; the region is the notebook's.
      REGION="$(sed -n 's/.*"ResourceArn" *: *"arn:[^:]*:sagemaker:\([^:]*\):.*/\1/p' "$META" 2>/dev/null || true)"
      aws s3 cp --only-show-errors ${REGION:+--region "$REGION"} "$SRC" "$tmp" && break ;;
    *) curl -fsSL --retry 3 -o "$tmp" "$SRC" && break ;;
    esac
    echo "sagesaver: download $SRC failed (attempt $i)"; sleep $((i * 5))
  done
  if ! echo "$SHA256  $tmp" | sha256sum -c --quiet -; then
    echo "sagesaver: checksum mismatch for $SRC: not installed"; rm -f "$tmp"; return 1
  fi
  chmod 0755 "$tmp"; mv -f "$tmp" "$BIN"
  if [ -d "$ROOT/run/systemd/system" ] && command -v systemctl >/dev/null; then
    mkdir -p "$(dirname "$ROOT{{.Unit}}")"
    cat > "$ROOT{{.Unit}}" <<EOF
[Unit]
Description=sagesaver agent: stop this notebook when idle
After=network-online.target

[Service]
ExecStart=$BIN agent --agent-config $CONF
Restart=always
RestartSec=10

[Install]
WantedBy=multi-user.target
EOF
    systemctl daemon-reload
    systemctl enable sagesaver-agent
    systemctl restart sagesaver-agent
  else
    # No systemd: a restart loop in its own session, replaced on a rerun.
    # The pid file is in root's directory; the pid is killed only if it is
    # still our loop (its command line runs $BIN), never a reused pid.
    local pid
    if [ -f "$STATE/supervisor.pid" ] && [ ! -L "$STATE/supervisor.pid" ]; then
      pid="$(head -c 16 "$STATE/supervisor.pid" | tr -cd 0-9)"
      if [ -n "$pid" ] && tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qxF -- "$BIN"; then
        kill -- -"$pid" 2>/dev/null || true
      fi
    fi
    setsid nohup bash -c 'while :; do "$0" agent --agent-config "$1"; echo "sagesaver: agent exited ($?), restarting"; sleep 5; done' \
      "$BIN" "$CONF" >>"$LOG" 2>&1 </dev/null &
    echo $! > "$STATE/supervisor.pid"
  fi
  echo "sagesaver: agent started"
}

# In the background: the notebook starts while the agent installs.
install_agent >>"$LOG" 2>&1 </dev/null &
`))
