package emulator

import (
	"embed"
	"encoding/base64"
	"fmt"
	"maps"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/sagesaver/sagesaver/internal/config"
)

// A Scenario seeds the emulator: accounts, regions, resources with their
// ages, tags and states, and metric histories. See docs/emulator.md for the
// format, with an example per kind; scenarios/demo.yaml is the bundled demo.
type Scenario struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	// Now is the virtual clock's start; empty means the wall clock.
	Now      *time.Time        `yaml:"now,omitempty"`
	Faults   *FaultConfig      `yaml:"faults,omitempty"`
	Accounts []AccountScenario `yaml:"accounts"`

	// Prices override the Pricing API's catalog (pricing.go).
	Prices []PriceScenario `yaml:"prices,omitempty"`

	// Source is the YAML the scenario was parsed from (set by
	// ParseScenario), so that Load's errors name the file, line and field
	// (scenario_errors.go); nil for a scenario built in Go.
	Source *ScenarioSource `yaml:"-" json:"-"`
}

// AccountScenario is one account.
type AccountScenario struct {
	ID   string `yaml:"id"`
	Name string `yaml:"name,omitempty"`
	// AccessKeys are access key ids that authenticate as this account.
	AccessKeys []string `yaml:"accessKeys,omitempty"`
	// Roles that may be assumed in this account; empty = any.
	Roles []string `yaml:"roles,omitempty"`
	// DeniedRegions answer AccessDenied to everything (an SCP deny).
	DeniedRegions []string `yaml:"deniedRegions,omitempty"`
	// DisabledRegions answer as opt-in regions that are not enabled.
	DisabledRegions []string                  `yaml:"disabledRegions,omitempty"`
	Regions         map[string]RegionScenario `yaml:"regions,omitempty"`
	// OrganizationState is the account's state in the Organization
	// (organizations.go): ACTIVE (default), SUSPENDED, PENDING_CLOSURE, ...
	OrganizationState string `yaml:"organizationState,omitempty"`
}

// RegionScenario is what exists in one account and region.
type RegionScenario struct {
	Notebooks        []NotebookScenario        `yaml:"notebooks,omitempty"`
	LifecycleConfigs []LifecycleConfigScenario `yaml:"lifecycleConfigs,omitempty"`
	Models           []ModelScenario           `yaml:"models,omitempty"`
	EndpointConfigs  []EndpointConfigScenario  `yaml:"endpointConfigs,omitempty"`
	Endpoints        []EndpointScenario        `yaml:"endpoints,omitempty"`
	Topics           []string                  `yaml:"topics,omitempty"`
	Metrics          []MetricScenario          `yaml:"metrics,omitempty"`
	// Jobs and Studio: sagemaker_jobs.go, sagemaker_studio.go.
	TrainingJobs   []JobScenario         `yaml:"trainingJobs,omitempty"`
	ProcessingJobs []JobScenario         `yaml:"processingJobs,omitempty"`
	TransformJobs  []JobScenario         `yaml:"transformJobs,omitempty"`
	TuningJobs     []JobScenario         `yaml:"tuningJobs,omitempty"`
	Domains        []DomainScenario      `yaml:"domains,omitempty"`
	UserProfiles   []UserProfileScenario `yaml:"userProfiles,omitempty"`
	Spaces         []SpaceScenario       `yaml:"spaces,omitempty"`
	Apps           []AppScenario         `yaml:"apps,omitempty"`
	// MLflow tracking servers (sagemaker_mlflow.go).
	MlflowTrackingServers []MlflowTrackingServerScenario `yaml:"mlflowTrackingServers,omitempty"`
	// HyperPod clusters (sagemaker_hyperpod.go).
	HyperPodClusters []ClusterScenario `yaml:"hyperPodClusters,omitempty"`
}

// Age is a duration in the past relative to the scenario's now, written as
// a Go duration with a "d" unit allowed: "72h", "3d", "90m".
type Age string

// Duration parses the age.
func (a Age) Duration() (time.Duration, error) {
	s := string(a)
	if s == "" {
		return 0, nil
	}
	if strings.HasSuffix(s, "d") {
		var days float64
		if _, err := fmt.Sscanf(strings.TrimSuffix(s, "d"), "%g", &days); err != nil {
			return 0, fmt.Errorf("bad age %q", s)
		}
		return time.Duration(days * 24 * float64(time.Hour)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("bad age %q: use e.g. 90m, 36h or 3d", s)
	}
	return d, nil
}

// NotebookScenario is a notebook instance.
type NotebookScenario struct {
	Name            string `yaml:"name"`
	InstanceType    string `yaml:"instanceType"`
	Status          string `yaml:"status,omitempty"` // default InService
	Age             Age    `yaml:"age,omitempty"`    // since creation
	LastModified    Age    `yaml:"lastModified,omitempty"`
	VolumeSizeGB    int32  `yaml:"volumeSizeGB,omitempty"`
	LifecycleConfig string `yaml:"lifecycleConfig,omitempty"`
	// AgentLastActivity, when set, is how long ago the sagesaver agent on
	// the instance last saw activity: it becomes the agent's
	// sagesaver:last-activity tag, relative to the scenario's now, with a
	// sagesaver:heartbeat of now (an agent that is running).
	AgentLastActivity Age               `yaml:"agentLastActivity,omitempty"`
	Tags              map[string]string `yaml:"tags,omitempty"`
}

// LifecycleConfigScenario is a notebook lifecycle configuration; scripts are
// given as plain text and stored base64-encoded, as AWS stores them.
type LifecycleConfigScenario struct {
	Name     string `yaml:"name"`
	OnCreate string `yaml:"onCreate,omitempty"`
	OnStart  string `yaml:"onStart,omitempty"`
}

// Validate checks the scenario's own rules.
func (sc *Scenario) Validate() error {
	if sc.APIVersion != config.APIVersion {
		return &config.FileError{Field: "apiVersion", Msg: fmt.Sprintf("must be %q", config.APIVersion)}
	}
	if sc.Kind != "Scenario" {
		return &config.FileError{Field: "kind", Msg: "must be \"Scenario\""}
	}
	seen := map[string]bool{}
	for i, a := range sc.Accounts {
		if len(a.ID) != 12 || strings.Trim(a.ID, "0123456789") != "" {
			return &config.FileError{Field: fmt.Sprintf("accounts[%d].id", i), Msg: fmt.Sprintf("%q is not a 12-digit account id", a.ID)}
		}
		if seen[a.ID] {
			return &config.FileError{Field: fmt.Sprintf("accounts[%d].id", i), Msg: "duplicate account " + a.ID}
		}
		seen[a.ID] = true
	}
	if sc.Faults != nil {
		if err := sc.Faults.Validate(); err != nil {
			fe := err.(*FaultError)
			return &config.FileError{Field: "faults." + fe.Field, Msg: fe.Msg}
		}
	}
	return nil
}

// ScenarioLimits bound a scenario file. Scenarios are larger by nature
// than the other user files: the issue-size fleet (LargeScenario with
// IssueScale: 10,000 endpoints, 2,000 notebooks, 500 Studio apps, 1,000
// jobs in 4 regions) is 6 MB of YAML, 240,000 lines; 64 MiB holds ten of
// it. Its nesting is 10 levels.
var ScenarioLimits = config.Limits{MaxBytes: 64 << 20, MaxDepth: config.DefaultMaxDepth}

// ParseScenario decodes and validates a scenario document of at most
// ScenarioLimits.
func ParseScenario(file string, data []byte) (*Scenario, error) {
	var sc Scenario
	if err := config.DecodeBounded(file, data, &sc, ScenarioLimits); err != nil {
		return nil, err
	}
	sc.Source = &ScenarioSource{File: file, Data: data}
	return &sc, nil
}

//go:embed scenarios/*.yaml
var bundled embed.FS

// Bundled returns a scenario shipped with the binary, e.g. "demo".
func Bundled(name string) (*Scenario, error) {
	data, err := bundled.ReadFile("scenarios/" + name + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("no bundled scenario %q", name)
	}
	return ParseScenario("scenarios/"+name+".yaml", data)
}

// Load replaces the emulator's state with the scenario's.
func (s *Server) Load(sc *Scenario) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	// A scenario that fails to load changes nothing: the state it
	// replaces comes back, and the clock, faults and counters are set
	// only once it has loaded.
	prev := savedState{s.accounts, s.keys, s.order, s.sns, s.pricing, s.sessions}
	if err := s.loadLocked(sc); err != nil {
		s.accounts, s.keys, s.order, s.sns, s.pricing, s.sessions = prev.accounts, prev.keys, prev.order, prev.sns, prev.pricing, prev.sessions
		return sc.located(err)
	}
	s.counters.reset()
	if sc.Now != nil {
		s.clock.Reset(sc.Now.UTC())
	}
	if sc.Faults != nil {
		s.faults.set(*sc.Faults)
	} else {
		s.faults.reset()
	}
	return nil
}

// savedState is what Load replaces.
type savedState struct {
	accounts map[string]*Account
	keys     map[string]string
	order    []string
	sns      []PublishedMessage
	pricing  *pricingState
	sessions map[string]roleSession
}

// loadLocked replaces the accounts, keys, published messages and prices
// with the scenario's. Caller holds s.mu.
func (s *Server) loadLocked(sc *Scenario) error {
	s.resetLocked()
	if len(sc.Accounts) > 0 {
		// The scenario's first account replaces the default one.
		s.accounts = map[string]*Account{}
		s.order = nil
	}
	now := s.clock.Now()
	if sc.Now != nil {
		now = sc.Now.UTC()
	}
	if err := s.loadPrices(sc.Prices, now); err != nil {
		return err
	}
	for i, as := range sc.Accounts {
		a := s.account(as.ID)
		a.Name, a.Roles = as.Name, as.Roles
		a.OrgState = as.OrganizationState
		for _, k := range as.AccessKeys {
			s.keys[k] = a.ID
		}
		for _, r := range as.DeniedRegions {
			a.Denied[r] = true
		}
		for _, r := range as.DisabledRegions {
			a.Disabled[r] = true
		}
		names := make([]string, 0, len(as.Regions))
		for n := range as.Regions {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, name := range names {
			rs := as.Regions[name]
			path := fmt.Sprintf("accounts[%d].regions.%s", i, name)
			if err := loadRegion(a.region(name), rs, now, path); err != nil {
				return err
			}
		}
	}
	return nil
}

func loadRegion(r *Region, rs RegionScenario, now time.Time, path string) error {
	st := r.SageMaker
	arn := func(resource string) string {
		return fmt.Sprintf("arn:aws:sagemaker:%s:%s:%s", r.Name, r.AccountID, resource)
	}
	for i, lc := range rs.LifecycleConfigs {
		l := &lifecycleConfig{name: lc.Name, arn: arn("notebook-instance-lifecycle-config/" + strings.ToLower(lc.Name)), created: now, lastMo: now}
		if lc.OnCreate != "" {
			l.onCreate = []smtypes.NotebookInstanceLifecycleHook{{Content: aws.String(base64.StdEncoding.EncodeToString([]byte(lc.OnCreate)))}}
		}
		if lc.OnStart != "" {
			l.onStart = []smtypes.NotebookInstanceLifecycleHook{{Content: aws.String(base64.StdEncoding.EncodeToString([]byte(lc.OnStart)))}}
		}
		if lc.Name == "" {
			return fmt.Errorf("%s.lifecycleConfigs[%d].name: required", path, i)
		}
		st.lifecycles[lc.Name] = l
	}
	for i, ns := range rs.Notebooks {
		field := fmt.Sprintf("%s.notebooks[%d]", path, i)
		if ns.Name == "" || ns.InstanceType == "" {
			return fmt.Errorf("%s: name and instanceType are required", field)
		}
		age, err := ns.Age.Duration()
		if err != nil {
			return fmt.Errorf("%s.age: %w", field, err)
		}
		lm, err := ns.LastModified.Duration()
		if err != nil {
			return fmt.Errorf("%s.lastModified: %w", field, err)
		}
		status := ns.Status
		if status == "" {
			status = "InService"
		}
		switch status {
		case "InService", "Stopped", "Failed", "Pending", "Stopping":
		default:
			return fmt.Errorf("%s.status: %q is not one of InService, Stopped, Failed, Pending, Stopping", field, status)
		}
		if ns.LifecycleConfig != "" {
			if _, ok := st.lifecycles[ns.LifecycleConfig]; !ok {
				return fmt.Errorf("%s.lifecycleConfig: no lifecycle config %q in this region", field, ns.LifecycleConfig)
			}
		}
		n := &notebook{
			name: ns.Name, arn: arn("notebook-instance/" + strings.ToLower(ns.Name)),
			instanceType: ns.InstanceType, status: status, volumeSizeGB: ns.VolumeSizeGB,
			lifecycleConfig: ns.LifecycleConfig, platform: "notebook-al2-v2",
			roleArn: fmt.Sprintf("arn:aws:iam::%s:role/SageMakerExecution", r.AccountID),
			created: now.Add(-age), lastMo: now.Add(-lm),
		}
		if n.volumeSizeGB == 0 {
			n.volumeSizeGB = 5
		}
		switch status {
		case "Pending":
			n.next = &transition{to: "InService", at: now.Add(notebookStartDuration)}
		case "Stopping":
			n.next = &transition{to: "Stopped", at: now.Add(notebookStopDuration)}
		}
		st.notebooks[n.name] = n
		tags := ns.Tags
		if ns.AgentLastActivity != "" {
			ago, err := ns.AgentLastActivity.Duration()
			if err != nil {
				return fmt.Errorf("%s.agentLastActivity: %w", field, err)
			}
			tags = maps.Clone(tags)
			if tags == nil {
				tags = map[string]string{}
			}
			tags[agentActivityTag] = now.Add(-ago).UTC().Format(time.RFC3339)
			// A running agent: it checked just now (agenttag.Heartbeat),
			// and goes on checking while the instance runs (beat).
			tags[agentHeartbeatTag] = now.UTC().Format(time.RFC3339)
			n.agent = true
		}
		n.agent = n.agent || liveAgent(tags, now)
		if err := st.setTags(n.arn, tagList(tags)); err != nil {
			return fmt.Errorf("%s.tags: %s", field, err.Message)
		}
	}
	if err := loadEndpoints(r, rs, now, path); err != nil {
		return err
	}
	if err := loadJobs(r, rs, now, path); err != nil {
		return err
	}
	if err := loadStudio(r, rs, now, path); err != nil {
		return err
	}
	if err := loadMlflow(r, rs, now, path); err != nil {
		return err
	}
	if err := loadClusters(r, rs, now, path); err != nil {
		return err
	}
	for _, t := range rs.Topics {
		a := fmt.Sprintf("arn:aws:sns:%s:%s:%s", r.Name, r.AccountID, t)
		r.SNS.topics[a] = &topic{arn: a, name: t}
	}
	return loadMetrics(r, rs, now, path)
}

// agentActivityTag is the tag the sagesaver agent publishes its last
// activity in (agenttag.LastActivity in internal/agent/agenttag).
const agentActivityTag = "sagesaver:last-activity"

// agentHeartbeatTag is when the agent last checked (agenttag.Heartbeat).
const agentHeartbeatTag = "sagesaver:heartbeat"

// tagList turns a tag map into SageMaker tags, sorted by key.
func tagList(m map[string]string) []smtypes.Tag {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]smtypes.Tag, 0, len(keys))
	for _, k := range keys {
		out = append(out, smtypes.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return out
}
